// Notes the server has not answered yet (docs/review-protocol.md, "Acknowledgements").
//
// Every note is sent with a client_id and kept here until the server answers it: an `ack`,
// its own `note.created` echo, or an `error`. After every (re)connect, once the replay or
// the snapshot has been applied, what is still unanswered is sent again with the same
// client_id; so is a note unanswered for ACK_TIMEOUT_MS on an open socket. The server
// stores one note per author, session and client_id, so a resend never makes a duplicate.

import { room, send } from "./state.js";

const ACK_TIMEOUT_MS = 10_000;

export function newClientId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

/** Sends `message` (a note.create) and keeps it until it is answered. False when offline:
 *  it goes out when the connection is back. */
export function sendTracked(message) {
  const tracked = { ...message, client_id: message.client_id ?? newClientId() };
  room.outbox.set(tracked.client_id, {
    message: tracked,
    sentAt: Date.now(),
    connection: room.connection,
  });
  return send(tracked);
}

/** An answer from the server (ack, error, or our own echo) settles its message. */
export function settle(frame) {
  if (typeof frame.client_id !== "string") return;
  if (frame.type === "note.created" && frame.actor?.id !== room.me?.id) return;
  room.outbox.delete(frame.client_id);
}

/** Sends again what is still unanswered and was not sent on this connection yet (after
 *  `resumed` / `state`), or, on the timer, what has waited longer than ACK_TIMEOUT_MS. */
export function resendPending(olderThan = null) {
  const now = Date.now();
  for (const entry of room.outbox.values()) {
    if (olderThan === null ? entry.connection === room.connection : now - entry.sentAt < olderThan) {
      continue;
    }
    if (send(entry.message)) {
      entry.sentAt = now;
      entry.connection = room.connection;
    }
  }
}

setInterval(() => resendPending(ACK_TIMEOUT_MS), ACK_TIMEOUT_MS / 2);
