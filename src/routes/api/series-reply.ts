import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCsv, type TimeSeries } from '../../services/timeseries.js';

/** `format=csv` or `Accept: text/csv` (without JSON preferred) gets CSV; anything else JSON. */
export function wantsCsv(request: FastifyRequest, format: string | undefined): boolean {
  if (format) return format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/.test(accept) && !/\bapplication\/json\b/.test(accept);
}

export function sendSeries(
  request: FastifyRequest,
  reply: FastifyReply,
  data: TimeSeries,
  format: string | undefined,
  filename: string,
) {
  if (!wantsCsv(request, format)) return reply.send(data);
  const safeName = filename.replace(/[^A-Za-z0-9_.-]+/g, '-');
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${safeName}.csv"`)
    .serializer((payload) => String(payload))
    .send(toCsv(data));
}
