import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { StreamSink } from '../../services/streams.js';

/**
 * A Server-Sent Events sink over a reply. Headers go out with the first bytes, so an error thrown
 * before them (404, 429) is still a normal problem reply.
 */
export function sseSink(reply: FastifyReply): StreamSink {
  const raw = reply.raw;
  let started = false;
  return {
    write(chunk) {
      if (!started) {
        started = true;
        reply.hijack();
        // After hijack Fastify sends none of the reply's headers (helmet's among them): copied here.
        raw.writeHead(200, {
          ...(reply.getHeaders() as OutgoingHttpHeaders),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-content-type-options': 'nosniff',
        });
      }
      raw.write(chunk);
    },
    end() {
      raw.end();
    },
  };
}
