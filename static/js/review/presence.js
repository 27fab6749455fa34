// Who is in the room: one avatar per person, the presenter outlined.

import { byTestId, room } from "./state.js";

function initials(person) {
  return person.name
    .split(/[\s._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0].toUpperCase())
    .join("");
}

export function renderPresence() {
  const box = byTestId("presence");
  box.replaceChildren(
    ...room.presence.map((person) => {
      const el = document.createElement("span");
      el.className = "avatar";
      if (person.id === room.session?.presenter?.id) el.classList.add("is-presenter");
      el.dataset.testid = "avatar";
      el.dataset.user = String(person.id);
      el.title = `${person.name}${person.id === room.session?.presenter?.id ? " (presenting)" : ""}`;
      el.textContent = initials(person);
      return el;
    }),
  );
}
