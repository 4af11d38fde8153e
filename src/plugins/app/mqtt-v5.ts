import type { Client, PublishPacket } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { RefusalReason } from './mqtt-common.js';

/** The MQTT 5 reason codes the broker sends (MQTT 5.0 §2.4); docs/field-devices.md#reason-codes. */
export const REASON_CODES = {
  unspecified: 0x80,
  notAuthorized: 0x87,
  packetTooLarge: 0x95,
  messageRateTooHigh: 0x96,
  payloadFormatInvalid: 0x99,
} as const;

/**
 * How an MQTT 5 client learns that a message was refused. A refusal about the message itself is
 * its PUBACK (or PUBREC) with a reason code, and the connection stays up: the device must not send
 * that message again. A refusal about the connection's pace, or a failure that sending again can
 * mend (the commit failed), is a DISCONNECT with a reason code and no PUBACK, so that the client
 * sends the message again once it has reconnected. Packets too large are refused by aedes itself.
 */
const ANSWERS: Record<Exclude<RefusalReason, 'size'>, { ack: number } | { disconnect: number }> = {
  topic: { ack: REASON_CODES.notAuthorized },
  device: { ack: REASON_CODES.notAuthorized },
  key: { ack: REASON_CODES.notAuthorized },
  payload: { ack: REASON_CODES.payloadFormatInvalid },
  rate: { disconnect: REASON_CODES.messageRateTooHigh },
  store: { disconnect: REASON_CODES.unspecified },
};

/** The longest Reason String sent: it names the fault, the log holds the details. */
const REASON_STRING_MAX = 200;

/** A refused message's error, as receive() throws it: its message is shown to the client. */
export type Refusal = Error & { reason: RefusalReason };

/**
 * Answers a refused PUBLISH of an MQTT 5 client, then calls aedes's authorizePublish callback.
 * aedes answers an authorizePublish error with a 0x87 PUBACK (its message as the Reason String)
 * and keeps the connection, which is the answer for `ack: 0x87`. It has no way to choose another
 * PUBACK code, so for the others the acknowledgement is written here and the packet is marked the
 * way aedes marks one it has answered itself (`_notAuthorized`: it then neither acknowledges nor
 * publishes it); tests/mqtt/mqtt5.test.ts fails if an aedes upgrade moves that mark.
 */
export function answerRefusalV5(
  client: Client,
  packet: PublishPacket,
  refusal: Refusal,
  done: (err?: Error | null) => void,
) {
  const answer = ANSWERS[refusal.reason as keyof typeof ANSWERS] ?? { ack: REASON_CODES.notAuthorized };
  const reasonString = refusal.message.slice(0, REASON_STRING_MAX);
  if ('disconnect' in answer) {
    // Once closed, aedes's own acknowledgement finds no connection to write to.
    client.disconnect({ reasonCode: answer.disconnect, properties: { reasonString } }, () => done(refusal));
    return;
  }
  if (answer.ack === REASON_CODES.notAuthorized) return done(refusal);
  (packet as PublishPacket & { _notAuthorized?: boolean })._notAuthorized = true;
  if (packet.qos > 0) {
    // A client that asked for no problem information gets no Reason String (MQTT-3.1.2-29).
    const quiet = (client as Client & { _requestProblemInformation?: boolean })._requestProblemInformation === false;
    const ack = {
      cmd: packet.qos === 1 ? ('puback' as const) : ('pubrec' as const),
      messageId: packet.messageId,
      reasonCode: answer.ack,
      ...(quiet ? {} : { properties: { reasonString } }),
    };
    client.conn.write(mqttPacket.generate(ack, { protocolVersion: 5 }));
  }
  done(null);
}
