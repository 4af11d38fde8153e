import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { collectSeries, csvPieces, toCsv, type SeriesAnswer } from '../../services/timeseries.js';

/**
 * Answers up to this many values are built whole and sent through the response schema; larger
 * ones are streamed a metric (JSON) or a few thousand values (CSV) at a time, each piece taking a
 * few milliseconds of the event loop, so one large export does not stall everyone else's requests.
 */
export const STREAM_FROM_CELLS = 50_000;
/** Values per CSV piece. */
const CSV_PIECE_CELLS = 20_000;

/** `format=csv` or `Accept: text/csv` (without JSON preferred) gets CSV; anything else JSON. */
export function wantsCsv(request: FastifyRequest, format: string | undefined): boolean {
  if (format) return format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/.test(accept) && !/\bapplication\/json\b/.test(accept);
}

export async function sendSeries(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: SeriesAnswer,
  format: string | undefined,
  filename: string,
) {
  const csv = wantsCsv(request, format);
  const whole = answer.cells <= STREAM_FROM_CELLS;
  if (!csv) {
    if (whole) return reply.send(await collectSeries(answer));
    return reply.type('application/json; charset=utf-8').send(Readable.from(jsonPieces(answer)));
  }
  const safeName = filename.replace(/[^A-Za-z0-9_.-]+/g, '-');
  reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${safeName}.csv"`);
  if (whole) return reply.serializer((payload) => String(payload)).send(toCsv(await collectSeries(answer)));
  return reply.send(Readable.from(csvStream(answer)));
}

/**
 * The same JSON the response schema writes (TimeSeriesSchema, in its order), a series at a time.
 * Series objects hold exactly the schema's fields, so nothing needs stripping.
 */
async function* jsonPieces(answer: SeriesAnswer): AsyncGenerator<string> {
  const { from, to, interval, tz, agg, timestamps } = answer.head;
  yield `{"from":${JSON.stringify(from)},"to":${JSON.stringify(to)},"interval":${JSON.stringify(interval)},"tz":${JSON.stringify(tz)},"agg":${JSON.stringify(agg)},"timestamps":${JSON.stringify(timestamps)},"series":[`;
  let first = true;
  for await (const s of answer.series()) {
    yield first ? JSON.stringify(s) : `,${JSON.stringify(s)}`;
    first = false;
  }
  yield `],"unavailable":${JSON.stringify(answer.unavailable)}}`;
}

/** CSV rows need every series first (a row spans them all); then rows go out a piece at a time. */
async function* csvStream(answer: SeriesAnswer): AsyncGenerator<string> {
  const data = await collectSeries(answer);
  for (const piece of csvPieces(data, CSV_PIECE_CELLS)) {
    yield piece;
    await nextTurn();
  }
}
