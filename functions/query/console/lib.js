// callscope console: what every page shares — DOM building, the signed-in token, the API
// and formatting. Pages import from here; app.js routes between them.

export const TOKEN_KEY = "callscope.token";
const main = document.getElementById("main");
const statusLine = document.getElementById("status");

// ---- small DOM helpers -------------------------------------------------------------------

/** An element with attributes (`on*` become listeners) and children (strings become text). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) element.append(child);
  }
  return element;
}

/** Replaces the page with `nodes` (arrays flattened; null, undefined and false left out). */
export function show(...nodes) {
  main.replaceChildren(...nodes.flat().filter((node) => node !== undefined && node !== null && node !== false));
  main.focus();
}

export function say(message) {
  statusLine.textContent = message;
}

// ---- the signed-in token ---------------------------------------------------------------

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function claims(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

/** Whether the signed-in token names one of `roles` (only the API's answers decide what is shown). */
export function hasRole(...roles) {
  const mine = claims(token() || "").roles;
  return (Array.isArray(mine) ? mine : String(mine || "").replace(/[[\]]/g, "").split(/[ ,]+/)).some((r) => roles.includes(r));
}

// ---- the API -----------------------------------------------------------------------------

export class SignedOut extends Error {}

/** GET `path` from the query API; JSON, or the response itself when `raw`. */
export async function api(path, params = {}, raw = false) {
  return request("GET", path, params, undefined, raw);
}

/** POST `body` as JSON to `path` of the query API; the JSON answer. */
export async function post(path, params = {}, body) {
  return request("POST", path, params, body, false);
}

/** DELETE `path` of the API; the JSON answer. */
export async function remove(path) {
  return request("DELETE", path, {}, undefined, false);
}

/** `method` `path` of the API with `params`; `body` as JSON, or a Blob as it is with its type. */
export async function request(method, path, params, body, raw) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null) url.searchParams.set(name, value);
  const headers = { Authorization: `Bearer ${token()}` };
  // A Blob (a picked file) goes as it is, with its own type; anything else as JSON.
  const blob = body instanceof Blob;
  if (body !== undefined) headers["Content-Type"] = blob ? body.type : "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined || blob ? body : JSON.stringify(body) });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw new SignedOut();
  }
  if (raw && response.ok) return response;
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const problem = answer.error?.problems?.[0];
    const error = new Error([answer.error?.message || `the API answered ${response.status}`, problem && `${problem.path}: ${problem.message}`].filter(Boolean).join(" — "));
    error.status = response.status;
    // Every problem of a refused body (line, column, path, message), and how many went unlisted.
    error.problems = answer.error?.problems || [];
    error.problemsOmitted = answer.error?.problemsOmitted || 0;
    throw error;
  }
  return answer;
}

// ---- formatting --------------------------------------------------------------------------

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
export const when = (iso) => dateTime.format(new Date(iso));

export function duration(seconds) {
  const m = Math.floor(seconds / 60), s = seconds % 60, hours = Math.floor(m / 60);
  return hours ? `${hours} h ${m % 60} min` : `${m} min ${String(s).padStart(2, "0")} s`;
}

export function words(camel) {
  const spaced = String(camel ?? "").replace(/([a-z0-9])([A-Z])/g, "$1 $2");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1).toLowerCase();
}

/** Field names as a person reads them; anything not listed is split into words. */
const LABELS = {
  ipAddress: "IP address", reflexiveIpAddress: "Reflexive IP address", relayIpAddress: "Relay IP address",
  macAddress: "MAC address", dnsSuffix: "DNS suffix", ssid: "SSID", bssid: "BSSID", vpn: "VPN",
  wifiBand: "Wi-Fi band", wifiChannel: "Wi-Fi channel", wifiSignalStrength: "Wi-Fi signal strength",
  wifiRadioType: "Wi-Fi radio type", connectionType: "Connection", relayUsed: "Relay used",
  transportProtocol: "Transport", linkSpeed: "Link speed", userAgent: "User agent",
  captureDevice: "Microphone", captureDeviceDriver: "Microphone driver", renderDevice: "Speaker",
  renderDeviceDriver: "Speaker driver", captureNotFunctioningEventRatio: "Microphone not functioning",
  renderNotFunctioningEventRatio: "Speaker not functioning", insideCorp: "Inside corporate network",
  expressRoute: "ExpressRoute", bandwidthEstimate: "Bandwidth estimate", postFecPacketLossRate: "Post-FEC packet loss",
  mediaBypassed: "Media bypassed",
};
export const label = (key) => LABELS[key] || words(key);

/** Graph's enumeration values as a person reads them. */
const VALUES = {
  wired: "Wired", wifi: "Wi-Fi", mobile: "Mobile", tunnel: "Tunnel", unknown: "Unknown",
  frequency24GHz: "2.4 GHz", frequency50GHz: "5 GHz", frequency60GHz: "6 GHz",
  callerToCallee: "Caller to callee", calleeToCaller: "Callee to caller",
};

/** A fact's value in words: yes/no, bands and connection types, rates and speeds with units. */
export function value(key, v) {
  if (typeof v === "boolean") return v ? "Yes" : "No";
  if (typeof v === "string") return VALUES[v] || v;
  if (/Ratio$|LossRate$|RatioOfConcealedSamples$/.test(key)) return `${(v * 100).toFixed(2)} %`;
  if (key === "linkSpeed" || key === "bandwidthEstimate") return `${(v / 1e6).toFixed(1)} Mbit/s`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** Issue codes as sentences; the codes themselves stay in the API and the CSV. */
const ISSUES = {
  call_setup_failed: "The user could not join the call.",
  audio_network_poor: "The network made the audio poor.",
  device_not_functioning: "A microphone or speaker was not working.",
  video_poor: "The video was poor.",
  vbss_poor: "Screen sharing was poor.",
  appsharing_poor: "Application sharing was poor.",
};
export const sentence = (code) => ISSUES[code] || words(code);

export const RATING = { good: ["✔", "Good"], poor: ["✖", "Poor"], unavailable: ["?", "Unavailable"], pending: ["…", "Pending"] };

export function badge(rating) {
  const [icon, label] = RATING[rating] || ["?", words(rating)];
  return h("span", { class: `badge ${rating}` }, h("span", { "aria-hidden": "true" }, `${icon} `), label);
}

/** A meeting with no other side (the user organized it): how many took part. */
export const meetingOf = (call) => call.type === "groupCall" ? `Meeting · ${call.participantCount} participants` : "—";

/** "Good for Ada · the meeting had 3 poor sessions": the user's own rating beside the meeting's. */
export function ownAndMeeting(call) {
  if (call.type !== "groupCall" || !call.sessionRatings) return null;
  const poor = call.sessionRatings.poor;
  const own = `${RATING[call.rating]?.[1] || words(call.rating)} for ${party(call.user)}`;
  const meeting = poor ? `the meeting had ${poor} poor session${poor === 1 ? "" : "s"} of ${call.sessionCount}` : `no poor session in the meeting's ${call.sessionCount}`;
  return h("p", { class: "own-and-meeting" }, `${own} · ${meeting}`);
}

export function party(p) {
  if (!p) return "—";
  return p.phone || p.displayName || p.userPrincipalName || p.id || words(p.kind);
}

export function metricValue(metric, value) {
  if (/Rate$|Ratio$|RatioOfConcealedSamples$/.test(metric)) return `${(value * 100).toFixed(2)} %`;
  if (/Jitter$|RoundTripTime$/.test(metric)) return `${value.toFixed(1)} ms`;
  if (/Percentage$/.test(metric)) return `${value.toFixed(1)} %`;
  if (/FrameRate$/.test(metric)) return `${value.toFixed(1)} fps`;
  return String(Math.round(value * 100) / 100);
}

/** A metric's grade cell: colour, an icon and the word, so it reads without colour too. */
export function gradeCell(grade) {
  const marks = { red: ["▲", "Red"], yellow: ["●", "Yellow"], normal: ["", "Normal"] };
  const [icon, label] = marks[grade] || ["", words(grade)];
  return h("td", { class: `grade-${grade}` }, icon && h("span", { "aria-hidden": "true" }, `${icon} `), label);
}

/** "1 call", "3 calls": the counts read as sentences. */
export const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export const whenWithZone = (iso) => `${when(iso)} (${Intl.DateTimeFormat().resolvedOptions().timeZone})`;
