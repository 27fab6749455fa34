// The review room's shared state and page elements. The server is the source of truth
// (docs/review-protocol.md): `room` holds what it last said, plus this browser's own
// playhead and drawing draft.

export const root = document.getElementById("review-room");
export const byTestId = (id) => root.querySelector(`[data-testid="${id}"]`);

export const playerA = document.getElementById("player-a");
export const playerB = document.getElementById("player-b");
export const overlay = document.getElementById("overlay");
export const stage = document.getElementById("stage");

export const room = {
  sessionId: Number(root.dataset.session),
  org: root.dataset.org,
  me: null,
  session: null,
  seq: null,
  playlist: [],
  playback: null,
  presence: [],
  notes: new Map(),
  decisions: [],
  requests: new Map(),
  socket: null,
  connection: 0, // counts welcomes: one per (re)connect
  outbox: new Map(), // client_id -> { message, sentAt }: notes not yet answered (outbox.js)
  frame: 0,
  drawing: { active: false, strokes: [], current: null },
  localPlaying: false,
  joinedBeside: null, // a re-run that joined beside its parent, announced once shown
};

export const rate = () => room.session.frame_rate;
export const currentItem = () => room.playlist.find((i) => i.version === room.playback?.version);
export const isPresenter = () => room.session?.presenter?.id === room.me?.id;
export const isHost = () => room.session?.host?.id === room.me?.id;

/** Sends a message to the room; dropped while the socket is not open (the state that
 *  arrives on reconnect is the truth). */
export function send(message) {
  return room.socket ? room.socket.send(message) : false;
}
