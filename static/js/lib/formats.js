// The JS twin of apps/core/formats.py: how frame rates, values, times and log lines read.
// Loaded on every page (base.html): turns <time data-local-time> into the viewer's time
// zone, to the second.

export function frameRateLabel(num, den = 1, dropFrame = false) {
  const text = den === 1 ? String(num) : (num / den).toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
  return dropFrame ? `${text} DF` : text;
}

export function valueLabel(value, nullLabel = "Automatic") {
  if (value === null || value === undefined) return nullLabel;
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (typeof value === "number") return String(Number(value.toPrecision(6)));
  if (Array.isArray(value)) return value.map((item) => valueLabel(item, nullLabel)).join(", ") || "—";
  if (typeof value === "object") {
    return Object.entries(value).map(([key, item]) => `${key} ${valueLabel(item, nullLabel)}`).join(", ");
  }
  return String(value);
}

const pad = (n) => String(n).padStart(2, "0");

export function localTimeLabel(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
    .formatToParts(date).find((part) => part.type === "timeZoneName")?.value || "";
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${day} ${time}${zone ? ` ${zone}` : ""}`;
}

export function localizeTimes(root = document) {
  for (const element of root.querySelectorAll("time[data-local-time]")) {
    const iso = element.getAttribute("datetime");
    if (!iso || element.dataset.localized === iso) continue;
    element.textContent = localTimeLabel(iso);
    element.title = `${iso.replace("+00:00", "Z")}`;
    element.dataset.localized = iso;
  }
}

localizeTimes();
// Regions refreshed in place bring new <time> elements.
new MutationObserver(() => localizeTimes()).observe(document.body, { childList: true, subtree: true });
