// callscope console: a session's Advanced and Debug tabs for engineers and admins — every
// field Graph reports per endpoint, grouped (Feedback, System, Building; per segment and medium
// Device, Connectivity, Network), each with a human label and its unit; no raw enumeration value.

import { h, party, when, words, inWords } from "./lib.js";

// ---- values in words, with units ---------------------------------------------------------

/** The feedback's rating as a person reads it (its words would read as a call's rating elsewhere). */
const FEEDBACK = {
  notRated: "Not rated", bad: "Bad (1 of 5)", poor: "Poor (2 of 5)", fair: "Fair (3 of 5)", good: "Good (4 of 5)",
  excellent: "Excellent (5 of 5)", unknown: "Unknown",
};

const number = (v, digits = 2) => (Number.isInteger(v) ? String(v) : v.toFixed(digits));
const one = (table) => (v) => table[v] || words(v);
const text = (v) => String(v);
const percentOfCall = (v) => `${(v * 100).toFixed(2)} % of the call`;
const percent = (v) => `${number(v, 0)} %`;
const decibels = (v) => `${number(v, 1)} dB`;
const megahertz = (v) => `${number(v, 0)} MHz`;
const megabits = (v) => `${(v / 1e6).toFixed(1)} Mbit/s`;
const perFiveMinutes = (v) => `${number(v, 1)} per 5 minutes`;
const times = (v) => (v === 1 ? "once" : `${v} times`);
const cores = (v) => `${v} ${v === 1 ? "core" : "cores"}`;
const yesNo = (v) => (v ? "Yes" : "No");
const milliseconds = (v) => `${number(v, 1)} ms`;

/** Each field shown: its label and how its value reads. Fields not listed are not shown. */
const FIELDS = {
  // System
  machineName: ["Machine name", text], platform: ["Platform", inWords], productFamily: ["Product", inWords],
  applicationVersion: ["Client version", text], serviceRole: ["Service", inWords], cpuName: ["Processor", text],
  cpuCoresCount: ["Processor cores", cores], cpuProcessorSpeedInMhz: ["Processor speed", megahertz],
  // Device
  captureDevice: ["Microphone", text], captureDeviceDriver: ["Microphone driver", text],
  renderDevice: ["Speaker", text], renderDeviceDriver: ["Speaker driver", text],
  captureNotFunctioningEventRatio: ["Microphone not functioning", percentOfCall],
  renderNotFunctioningEventRatio: ["Speaker not functioning", percentOfCall],
  cpuInsufficientEventRatio: ["Processor too busy", percentOfCall], deviceClippingEventRatio: ["Microphone clipping", percentOfCall],
  deviceGlitchEventRatio: ["Audio glitches", percentOfCall], howlingEventCount: ["Howling or screeching", times],
  initialSignalLevelRootMeanSquare: ["Initial signal level (RMS, first 30 s)", (v) => number(v, 1)],
  lowSpeechLevelEventRatio: ["Speech too quiet", percentOfCall], lowSpeechToNoiseEventRatio: ["Speech drowned by noise", percentOfCall],
  micGlitchRate: ["Microphone glitches", perFiveMinutes], speakerGlitchRate: ["Speaker glitches", perFiveMinutes],
  sentSignalLevel: ["Speech level sent", decibels], sentNoiseLevel: ["Noise level sent", decibels],
  receivedSignalLevel: ["Speech level received", decibels], receivedNoiseLevel: ["Noise level received", decibels],
  renderMuteEventRatio: ["Speaker muted", percentOfCall], renderZeroVolumeEventRatio: ["Speaker volume at zero", percentOfCall],
  // Connectivity
  connectionType: ["Connection", inWords], ipAddress: ["IP address", text], subnet: ["Subnet", text],
  wifiBand: ["Wi-Fi band", inWords], wifiChannel: ["Wi-Fi channel", text], wifiSignalStrength: ["Wi-Fi signal strength", percent],
  wifiRadioType: ["Wi-Fi standard", inWords], wifiMicrosoftDriver: ["Microsoft Wi-Fi driver", text],
  wifiMicrosoftDriverVersion: ["Microsoft Wi-Fi driver version", text], wifiVendorDriver: ["Wi-Fi adapter driver", text],
  wifiVendorDriverVersion: ["Wi-Fi adapter driver version", text], wifiBatteryCharge: ["Battery charge", percent],
  linkSpeed: ["Link speed", megabits], transportProtocol: ["Transport", inWords],
  // Network
  bandwidthLowEventRatio: ["Bandwidth too low", percentOfCall], delayEventRatio: ["Network delay too long", percentOfCall],
  receivedQualityEventRatio: ["Network spoiled the audio received", percentOfCall],
  sentQualityEventRatio: ["Network spoiled the audio sent", percentOfCall], relayUsed: ["Through a media relay", yesNo],
  // Building
  buildingName: ["Building", text], networkName: ["Network name", text], network: ["Network", text], city: ["City", text],
  state: ["State", text], zipCode: ["ZIP code", text], country: ["Country", text], region: ["Region", text],
  ownershipType: ["Ownership", text], buildingType: ["Building type", text], buildingOfficeType: ["Office type", text],
  insideCorp: ["Inside the corporate network", yesNo], expressRoute: ["ExpressRoute", yesNo], vpn: ["VPN", yesNo],
  // Endpoint file
  make: ["Make", text], model: ["Model", text], type: ["Endpoint type", text], labels: ["Labels", (v) => v.join(", ")],
  // Debug
  userAgent: ["User agent", text], azureAdAppId: ["Entra application id", text], communicationServiceId: ["Azure Communication Services id", text],
  dnsSuffix: ["DNS suffix", text], ssid: ["SSID (Wi-Fi network name)", text], bssid: ["BSSID (access point)", text],
  macAddress: ["MAC address", text], port: ["Port", text], reflexiveIpAddress: ["Reflexive (public) IP address", text],
  relayIpAddress: ["Media relay IP address", text], relayPort: ["Media relay port", text],
};

/** Whether a value can be shown: no null, no empty text or list, no NaN. */
const shown = (v) => v !== null && v !== undefined && v !== "" && !(typeof v === "number" && !Number.isFinite(v)) && !(Array.isArray(v) && !v.length);

/** The listed fields of `object` that it carries, as a description list; null if none. */
function facts(object, keys = Object.keys(FIELDS)) {
  const rows = keys.filter((k) => FIELDS[k] && object && shown(object[k]));
  if (!rows.length) return null;
  return h("dl", { class: "facts" }, rows.flatMap((k) => [h("dt", {}, FIELDS[k][0]), h("dd", {}, FIELDS[k][1](object[k]))]));
}

/** A titled group, or null when it has nothing to show. */
function group(title, level, ...content) {
  const body = content.flat().filter(Boolean);
  return body.length ? h("section", { class: "group" }, h(level, {}, title), ...body) : null;
}

/** A medium's label in words: "Audio", "Video", "Screen sharing (video-based)". */
const mediaName = (label) => (label ? inWords(label) : "Media");

/** "Segment 2, from 14:30" (segments are counted from 1). */
const segmentName = (segment) => `Segment ${segment.index + 1}${segment.startDateTime ? `, from ${when(segment.startDateTime)}` : ""}`;

/** A trace route as a table: hop, address, round trip. */
function traceRoute(hops) {
  if (!hops?.length) return null;
  return h("table", {},
    h("caption", {}, "Trace route"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Hop"), h("th", { scope: "col" }, "IP address"), h("th", { scope: "col" }, "Round trip"))),
    h("tbody", {}, hops.map((hop) => h("tr", {},
      h("td", {}, shown(hop.hopCount) ? String(hop.hopCount) : "—"),
      h("td", {}, hop.ipAddress || "—"),
      h("td", {}, shown(hop.roundTripTimeMs) ? milliseconds(hop.roundTripTimeMs) : "—")))));
}

const SIDES = [["caller", "Caller"], ["callee", "Callee"]];

/** Both sides of a session, each under its heading: "Caller: Ada Lovelace". */
function bySide(session, part, render) {
  return h("div", { class: "row" }, SIDES.map(([side, name]) => {
    const content = render(session[part][side]);
    return h("section", { class: "side" }, h("h3", {}, `${name}: ${party(session[side])}`), content.length ? content : h("p", {}, "Nothing reported."));
  }));
}

// ---- the panels --------------------------------------------------------------------------

/** One session's Advanced content: per side the user's feedback, the system, the building, and
 * every segment's reports per medium (Device, Connectivity, Network). */
export function advancedPanel(session) {
  return bySide(session, "advanced", (side) => [
    side.feedback ? group("Feedback", "h4",
      h("dl", { class: "facts" },
        h("dt", {}, "Rating"), h("dd", {}, one(FEEDBACK)(side.feedback.rating)),
        side.feedback.text ? [h("dt", {}, "Comment"), h("dd", {}, `“${side.feedback.text}”`)] : null,
        side.feedback.tokens?.length ? [h("dt", {}, "Problems reported"), h("dd", {}, side.feedback.tokens.map(words).join(", "))] : null)) : null,
    group("System", "h4", facts(side.system)),
    group("Building", "h4", side.building ? facts(side.building) : h("p", {}, "Not in the building file."), facts(side.endpoint, ["make", "model", "type", "labels"])),
    ...(side.segments || []).flatMap((segment) => [
      segment.system ? group(`${segmentName(segment)}: System`, "h4", facts(segment.system)) : null,
      ...segment.media.map((m) => group(`${segmentName(segment)} · ${mediaName(m.label)}`, "h4",
        group("Device", "h5", facts(m.device)),
        group("Connectivity", "h5", facts(m.connectivity)),
        group("Network", "h5", facts(m.network), traceRoute(m.network?.traceRoute)))),
    ]),
  ].filter(Boolean));
}

/** One session's Debug content: the ids and failure to quote to Microsoft, then per side the
 * client's ids and every segment's network identifiers per medium. */
export function debugPanel(session) {
  const d = session.debug;
  const failure = d.failure;
  return [
    h("section", { class: "group" }, h("h3", {}, "Identifiers"),
      h("dl", { class: "facts" },
        h("dt", {}, "Call id"), h("dd", {}, h("code", {}, d.callId)),
        d.sessionId ? [h("dt", {}, "Session id"), h("dd", {}, h("code", {}, d.sessionId))] : null,
        h("dt", {}, "Conference id"), h("dd", {}, d.conferenceId ? h("code", {}, d.conferenceId) : "None (not a meeting)"))),
    h("section", { class: "group" }, h("h3", {}, "Failure"),
      failure ? h("dl", { class: "facts" },
        h("dt", {}, "Stage"), h("dd", {}, inWords(failure.stage)),
        failure.reason ? [h("dt", {}, "Reason"), h("dd", {}, failure.reason)] : null,
        shown(failure.msDiagCode) ? [h("dt", {}, "Ms-diag code"), h("dd", {}, String(failure.msDiagCode))] : null) : h("p", {}, "The session did not fail.")),
    bySide(session, "debug", (side) => [
      group("Client", "h4", facts(side, ["userAgent", "azureAdAppId", "communicationServiceId"])),
      ...(side.segments || []).flatMap((segment) => [
        segment.userAgent ? group(`${segmentName(segment)}: Client`, "h4", facts(segment, ["userAgent"])) : null,
        ...segment.media.map((m) => group(`${segmentName(segment)} · ${mediaName(m.label)}`, "h4",
          facts(m, ["dnsSuffix", "ssid", "bssid", "macAddress", "port", "reflexiveIpAddress", "relayIpAddress", "relayPort"]))),
      ]),
    ].filter(Boolean)),
  ];
}
