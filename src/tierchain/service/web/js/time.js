// Dates are shown in Beijing time (Asia/Shanghai), whatever the browser's own zone is.
const ZONE = "Asia/Shanghai";

function parts(seconds) {
  const ms = Number(BigInt(String(seconds))) * 1000; // seconds since 1970 fit easily in a double
  const fmt = new Intl.DateTimeFormat("en-GB", {
    timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return p;
}

/** Unix seconds (string or number) → "2027-01-01 08:00" in Beijing time. */
export function formatDateTime(seconds) {
  if (seconds === undefined || seconds === null || seconds === "") return "—";
  const p = parts(seconds);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** Unix seconds → "2027-01-01" (the Beijing calendar day). */
export function formatDate(seconds) {
  if (seconds === undefined || seconds === null || seconds === "") return "—";
  const p = parts(seconds);
  return `${p.year}-${p.month}-${p.day}`;
}

export function nowSeconds() {
  return BigInt(Math.floor(Date.now() / 1000));
}
