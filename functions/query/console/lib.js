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
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null && child !== false) element.append(child);
  }
  return element;
}

/** Replaces the page with `nodes` (arrays flattened; null, undefined and false left out). */
export function show(...nodes) {
  main.replaceChildren(...nodes.flat(Infinity).filter((node) => node !== undefined && node !== null && node !== false));
  // The tab's and the history's title: the page's own heading.
  const heading = main.querySelector("h1")?.textContent;
  document.title = heading ? `${heading} — callscope` : "callscope";
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

/** The agent's own time zone, as the browser reports it. */
export const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const dateTime = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
const utc = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "UTC" });

/** A time in the agent's time zone, the zone named ("3 Dec 2026, 14:05 CET"). */
export const when = (iso) => dateTime.format(new Date(iso));

/** A time as an element: the agent's time zone on screen, UTC on hover. */
export const at = (iso) => h("time", { datetime: iso, title: `${utc.format(new Date(iso))} UTC` }, when(iso));

/** The agent's calendar day of a time, as `YYYY-MM-DD` (what a date input holds). */
export function localDay(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function duration(seconds) {
  const m = Math.floor(seconds / 60), s = seconds % 60, hours = Math.floor(m / 60);
  return hours ? `${hours} h ${m % 60} min` : `${m} min ${String(s).padStart(2, "0")} s`;
}

export function words(camel) {
  const spaced = String(camel ?? "").replace(/([a-z0-9])([A-Z])/g, "$1 $2");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1).toLowerCase();
}

/** Every graded metric, keyed by its name as the API sends it: one human label and one unit
 * each, used everywhere a metric appears (`docs/thresholds.md`). Units: `ms`; `ratio` (0..1,
 * shown as a percentage); `percent` (already 0..100); `fps`; `mos` (MOS points). */
const METRICS = {
  averageJitter: ["Average jitter", "ms"],
  maxJitter: ["Maximum jitter", "ms"],
  averagePacketLossRate: ["Average packet loss", "ratio"],
  maxPacketLossRate: ["Maximum packet loss", "ratio"],
  averageRoundTripTime: ["Average round trip", "ms"],
  maxRoundTripTime: ["Maximum round trip", "ms"],
  averageAudioDegradation: ["Average audio degradation (NMOS)", "mos"],
  averageRatioOfConcealedSamples: ["Concealed samples", "ratio"],
  renderNotFunctioningEventRatio: ["Speaker not functioning", "ratio"],
  captureNotFunctioningEventRatio: ["Microphone not functioning", "ratio"],
  averageVideoFrameRate: ["Average frame rate", "fps"],
  averageVideoFrameLossPercentage: ["Average frame loss", "percent"],
  postForwardErrorCorrectionPacketLossRate: ["Packet loss after error correction", "ratio"],
  postFecPacketLossRate: ["Packet loss after error correction", "ratio"],
  spoiledTilePercentTotal: ["Spoiled tiles", "percent"],
  rdpTileProcessingLatencyAverage: ["Tile processing latency", "ms"],
  relativeOneWayAverage: ["Relative one-way delay", "ms"],
};

const decimals = (v, most) => new Intl.NumberFormat(undefined, { maximumFractionDigits: most }).format(v);

/** A number in a unit of METRICS's. */
function inUnit(unit, v) {
  switch (unit) {
    case "ms": return `${decimals(v, 1)} ms`;
    case "ratio": return `${decimals(v * 100, 2)} %`;
    case "percent": return `${decimals(v, 2)} %`;
    case "fps": return `${decimals(v, 1)} fps`;
    case "mos": return `${decimals(v, 2)} MOS`;
    default: return decimals(v, 2);
  }
}

/** A metric's human label ("Average frame rate"). */
export const metricLabel = (metric) => METRICS[metric]?.[0] || words(metric);

/** A metric's value with its unit ("24.5 fps", "14 %", "31.2 ms"). */
export function metricValue(metric, v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "—";
  return inUnit(METRICS[metric]?.[1], v);
}

/** Field names as a person reads them; anything not listed is split into words. */
const LABELS = {
  ipAddress: "IP address", reflexiveIpAddress: "Reflexive IP address", relayIpAddress: "Relay IP address",
  macAddress: "MAC address", dnsSuffix: "DNS suffix", ssid: "SSID", bssid: "BSSID", vpn: "VPN",
  wifiBand: "Wi-Fi band", wifiChannel: "Wi-Fi channel", wifiSignalStrength: "Wi-Fi signal strength",
  wifiRadioType: "Wi-Fi standard", connectionType: "Connection", relayUsed: "Through a media relay",
  transportProtocol: "Transport", linkSpeed: "Link speed", userAgent: "User agent",
  captureDevice: "Microphone", captureDeviceDriver: "Microphone driver", renderDevice: "Speaker",
  renderDeviceDriver: "Speaker driver", insideCorp: "Inside corporate network",
  expressRoute: "ExpressRoute", bandwidthEstimate: "Bandwidth estimate",
  mediaBypassed: "Media bypassed", productFamily: "Product", platform: "Platform", codec: "Codec",
  packetUtilization: "Packets", buildingName: "Building", networkName: "Network name",
};
export const label = (key) => METRICS[key]?.[0] || LABELS[key] || words(key);

/** Graph's enumeration values as a person reads them (radio types, bands, connections,
 * transports, platforms, product families, service roles, media labels, failure stages,
 * directions, sides). */
const VALUES = {
  wired: "Wired", wifi: "Wi-Fi", mobile: "Mobile", tunnel: "VPN tunnel", unknown: "Unknown", unknownFutureValue: "Unknown",
  frequency24GHz: "2.4 GHz", frequency50GHz: "5 GHz", frequency60GHz: "6 GHz",
  wifi80211a: "Wi-Fi (802.11a)", wifi80211b: "Wi-Fi (802.11b)", wifi80211g: "Wi-Fi (802.11g)", wifi80211n: "Wi-Fi 4 (802.11n)",
  wifi80211ac: "Wi-Fi 5 (802.11ac)", wifi80211ax: "Wi-Fi 6 (802.11ax)", wifi80211be: "Wi-Fi 7 (802.11be)",
  udp: "UDP", tcp: "TCP",
  windows: "Windows", macOS: "macOS", iOS: "iOS", android: "Android", web: "Web browser", ipPhone: "IP phone",
  roomSystem: "Teams Room", surfaceHub: "Surface Hub", holoLens: "HoloLens", linux: "Linux",
  teams: "Teams", skypeForBusiness: "Skype for Business", lync: "Lync", skypeForBusinessVoipPhone: "Skype for Business IP phone",
  azureCommunicationServices: "Azure Communication Services", teamsForLife: "Teams (personal)",
  "main-audio": "Audio", "main-video": "Video", "applicationsharing-video": "Screen sharing", "applicationsharing": "Application sharing",
  "data": "Data", audio: "Audio", video: "Video", screenSharing: "Screen sharing", appSharing: "Application sharing",
  callerToCallee: "Caller to callee", calleeToCaller: "Callee to caller", caller: "Caller", callee: "Callee",
  peerToPeer: "Peer-to-peer call", groupCall: "Meeting",
  pstn: "Phone call (Calling Plan)", directRouting: "Phone call (Direct Routing)",
  inbound: "Inbound", outbound: "Outbound", connected: "Connected", failed: "Did not connect",
  sbc: "your session border controller (SBC)", microsoft: "a Microsoft service",
  satin: "SATIN", silk: "SILK", opus: "Opus", siren: "Siren", g722: "G.722", pcmu: "G.711 µ-law", pcma: "G.711 A-law",
  h264: "H.264", H264: "H.264", h264s: "H.264 (scalable)", h264uc: "H.264 UC", h265: "H.265", rtVideo: "RTVideo", av1: "AV1",
  satinFullband: "SATIN (full band)", g7221: "G.722.1", g729: "G.729", rtAudio8: "RTAudio (narrow band)", rtAudio16: "RTAudio (wide band)",
  callSetup: "While setting up the call", midcall: "During the call", "panoramic-video": "Panoramic video",
  // Service roles (a service's endpoint: a conference server, a gateway, a bot)
  customBot: "Bot", skypeForBusinessMicrosoftTeamsGateway: "Skype for Business–Teams gateway",
  skypeForBusinessAudioVideoMcu: "Audio/video conferencing server", skypeForBusinessApplicationSharingMcu: "Application sharing conferencing server",
  skypeForBusinessCallQueues: "Call queue", skypeForBusinessAutoAttendant: "Auto attendant", mediationServer: "Mediation server",
  mediationServerCloudConnectorEdition: "Mediation server (Cloud Connector)", exchangeUnifiedMessagingService: "Exchange voicemail",
  mediaController: "Media controller", conferencingAnnouncementService: "Conference announcements", conferencingAttendant: "Conference attendant",
  audioTeleconferencerController: "Dial-in conferencing", skypeForBusinessUnifiedCommunicationApplicationPlatform: "Communications application platform",
  responseGroupServiceAnnouncementService: "Response group announcements", gateway: "PSTN gateway", skypeTranslator: "Translator",
  skypeForBusinessAttendant: "Attendant", responseGroupService: "Response group", voicemail: "Voicemail",
};

/** An enumeration value in words; an unlisted one split into words. */
export const inWords = (v) => VALUES[v] || words(v);

/** A fact's value in words: yes/no, enumerations in words, metrics and speeds with units. */
export function value(key, v) {
  if (typeof v === "boolean") return v ? "Yes" : "No";
  if (typeof v === "string") return VALUES[v] || v;
  if (typeof v !== "number" || !Number.isFinite(v)) return "—";
  if (METRICS[key]) return metricValue(key, v);
  if (key === "wifiSignalStrength" || /Percentage$/.test(key)) return `${decimals(v, 1)} %`;
  if (/Ratio$|LossRate$/.test(key)) return `${decimals(v * 100, 2)} %`;
  if (key === "linkSpeed" || /[bB]andwidth/.test(key)) return `${decimals(v / 1e6, 1)} Mbit/s`;
  // Counts read with separators ("27,351 packets"); a channel or port is a name, not an amount.
  if (/[Cc]hannel$|[Pp]ort$/.test(key)) return String(v);
  return decimals(v, Number.isInteger(v) ? 0 : 2);
}

/** Issue codes as sentences; the codes themselves stay in the API and the CSV. */
const ISSUES = {
  call_setup_failed: "A session could not be set up: someone could not join or connect, at least once.",
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

/** Whether a history line or detail is a phone call (a row of Graph's PSTN or Direct Routing log). */
export const isPhone = (call) => call.type === "pstn" || call.type === "directRouting";

/** A phone call's own icon, named for screen readers. */
export const phoneIcon = (call) => h("span", { class: "phone-icon", role: "img", "aria-label": inWords(call.type) }, "☎");

/** The other number of a phone call, with which way it went: "To +1425555****". */
export const phoneCounterpart = (call) =>
  `${call.direction === "inbound" ? "From" : call.direction === "outbound" ? "To" : "With"} ${party(call.counterpart)}`;

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

/** A metric's grade cell: colour, an icon and the word, so it reads without colour too. */
export function gradeCell(grade) {
  const marks = { red: ["▲", "Red"], yellow: ["●", "Yellow"], normal: ["", "Normal"] };
  const [icon, label] = marks[grade] || ["", words(grade)];
  return h("td", { class: `grade-${grade}` }, icon && h("span", { "aria-hidden": "true" }, `${icon} `), label);
}

/** "1 call", "3 calls": the counts read as sentences. */
export const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What the grades mean, in the seed's words: shown wherever graded metrics are. */
export function gradeLegend() {
  return h("dl", { class: "legend", "aria-label": "What the grades mean" },
    h("dt", {}, h("span", { class: "grade-red" }, h("span", { "aria-hidden": "true" }, "▲ "), "Red")),
    h("dd", {}, "Significant: likely the main cause of a poor session."),
    h("dt", {}, h("span", { class: "grade-yellow" }, h("span", { "aria-hidden": "true" }, "● "), "Yellow")),
    h("dd", {}, "Outside the normal range: may contribute, but unlikely the main cause."),
    h("dt", {}, h("span", { class: "grade-normal" }, "Normal")),
    h("dd", {}, "Within the normal range."));
}

/** What the ratings mean, Unavailable and Pending above all: shown wherever ratings are. */
export function ratingLegend() {
  const meaning = {
    good: "Quality data arrived and no rule for a poor call fired.",
    poor: "At least one rule for a poor call fired; the main cause says which.",
    unavailable: "No quality data arrived for the audio (typically the call dropped and the client never reported), so it cannot be rated. Not in itself a sign of trouble.",
    pending: "Not rated yet: the rating follows within minutes of the call record arriving.",
  };
  return h("dl", { class: "legend", "aria-label": "What the ratings mean" },
    Object.entries(meaning).flatMap(([rating, text]) => [h("dt", {}, badge(rating)), h("dd", {}, text)]));
}
