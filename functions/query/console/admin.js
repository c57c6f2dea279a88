// callscope console: the admin's pages — the building and endpoint files with the building map
// and the subnets it misses, the audit trail, the Graph connector's health and its dead letters,
// and erasure. app.js routes here through adminRoute(); the API decides who may see each page,
// and a refusal is said on the page in words.

import { h, show, say, SignedOut, api, post, remove, request, words, count } from "./lib.js";

/** The admin pages, by their address (`#/<name>`) and link text. */
const PAGES = [["buildings", "Buildings"], ["audit", "Audit"], ["connector", "Connector"], ["erasure", "Erasure"]];

/** Shows the admin links in the header (`#admin-links`) to an admin (`admin`: the role `GET /me`
 * answered), marking the page shown. */
export function adminLinks(parts, admin) {
  const nav = document.getElementById("admin-links");
  nav.hidden = !admin;
  nav.replaceChildren(...PAGES.map(([name, text]) => h("a", { href: `#/${name}`, id: `${name}-link`, "aria-current": parts[0] === name ? "page" : false }, text)));
}

/** Renders the admin page `parts` (the hash path) names and resolves to true, or resolves to
 * false when it names none. `admin` as for adminLinks: the Erasure page, which reads nothing on
 * opening, says by it that only an admin may; the others ask the API, whose refusal they say.
 * Errors other than the API's refusal reach the caller. */
export async function adminRoute(parts, admin) {
  const [name, id] = parts;
  const page = PAGES.find(([path]) => path === name);
  const loaders = { buildings: buildingsPage, audit: auditPage, connector: connectorPage };
  if (name === "erasure" && parts.length <= 2) erasurePage(id, admin);
  else if (page && parts.length === 1) await refusedInWords(page[1], loaders[name]);
  else return false;
  return true;
}

/** Runs `page`; when the API refuses the signed-in role (403), says so under the page's title. */
async function refusedInWords(title, page) {
  try {
    await page();
  } catch (error) {
    if (error.status !== 403) throw error;
    show(h("h1", {}, title), h("p", { class: "error", role: "alert" }, `Only an admin may see this page: the API refused your role (${error.message}).`));
  }
}

/** An error handler that says the error in `place` (a `role="alert"` element); signed out, the
 * console goes back to its sign-in page. */
function sayIn(place) {
  return (error) => {
    if (error instanceof SignedOut) return window.dispatchEvent(new HashChangeEvent("hashchange"));
    place.textContent = error.message;
  };
}

const alert = () => h("p", { class: "error", role: "alert" });

// ---- times -------------------------------------------------------------------------------

const local = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" });
const utc = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "long", timeZone: "UTC" });

/** A time in the agent's own time zone, named, with UTC on hover. */
function stamp(iso) {
  if (!iso) return "—";
  const at = new Date(iso);
  return h("time", { datetime: iso, title: utc.format(at) }, local.format(at));
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "in 2 days", "3 minutes ago": `iso` from now, in the largest whole unit. */
function fromNow(iso) {
  const seconds = (new Date(iso) - Date.now()) / 1000;
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  return relative.format(Math.round(seconds), "second");
}

/** "2026-12-04" (a date field) as the start of that day in the agent's time zone, RFC 3339. */
const dayStart = (date, days = 0) => {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(y, m - 1, d + days).toISOString();
};

const cell = (text) => h("td", {}, text === undefined || text === null || text === "" ? "—" : text);
const yesNo = (flag) => (flag ? "Yes" : "No");

function table(id, caption, headings, body) {
  return h("table", { id }, h("caption", {}, caption), h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))), body);
}

// ---- buildings -------------------------------------------------------------------------------

/** The two tenant files an admin uploads, by route. */
const FILES = [
  ["buildings", "Building file", "The Call Quality Dashboard's building file: one row per network, 14 or 15 columns, no header row. It replaces the building map whole."],
  ["endpoints", "Endpoint file", "The Call Quality Dashboard's endpoint file: 7 columns (name, make, model, type, three labels), no header row. It replaces the endpoint list whole."],
];

/** What the file is, from its name (or, failing that, its type): the API sniffs the rest. */
function contentType(file) {
  if (/\.tsv$|\.tab$/i.test(file.name)) return "text/tab-separated-values";
  if (/\.csv$/i.test(file.name)) return "text/csv";
  return ["text/csv", "text/tab-separated-values"].includes(file.type) ? file.type : "text/plain";
}

/** The problems of a refused file (or the warnings of an accepted one) by line and column. */
function problemTable(id, caption, problems) {
  return table(id, caption, ["Line", "Column", "Field", "Problem"], h("tbody", {}, problems.map((p) =>
    h("tr", {}, cell(p.line), cell(p.column), cell(p.path === "$" ? "The whole file" : p.path), cell(p.message)))));
}

/** One file's upload form: pick a file, send it, and say what the API made of it. */
function uploadForm([route, title, about], uploaded) {
  const input = h("input", { type: "file", id: `${route}-file`, accept: ".csv,.tsv,.txt,text/csv,text/tab-separated-values", required: true });
  const result = h("div", { id: `${route}-result`, "aria-live": "polite" });
  const problem = alert();
  const send = async (event) => {
    event.preventDefault();
    problem.textContent = "";
    result.replaceChildren();
    const file = input.files[0];
    if (!file) return;
    try {
      const report = await request("PUT", `/${route}`, {}, new Blob([file], { type: contentType(file) }), false);
      result.replaceChildren(
        h("p", { class: "done" }, `Uploaded ${file.name}: version ${report.version}, ${count(report.rows, "row")}${report.warnings.length ? `, ${count(report.warnings.length, "warning")}` : ", no warnings"}.`),
        report.warnings.length ? problemTable(`${route}-warnings`, "Accepted, but worth a look", report.warnings) : null);
      say(`${title} uploaded`);
      await uploaded();
    } catch (error) {
      if (error.status !== 422 || !error.problems?.length) return sayIn(problem)(error);
      const omitted = error.problemsOmitted ? ` (and ${count(error.problemsOmitted, "more problem")} not listed)` : "";
      result.replaceChildren(
        h("p", { class: "error", role: "alert" }, `${file.name} was refused and nothing changed: ${count(error.problems.length, "problem")}${omitted}.`),
        problemTable(`${route}-problems`, `Problems in ${file.name}`, error.problems));
    }
  };
  return h("section", { "aria-labelledby": `${route}-title` },
    h("h2", { id: `${route}-title` }, title),
    h("p", {}, about),
    h("form", { class: "row", onsubmit: (event) => send(event).catch(sayIn(problem)) },
      h("label", { for: `${route}-file` }, `${title} (CSV or TSV)`), input,
      h("button", { type: "submit", class: "primary" }, `Upload ${title.toLowerCase()}`)),
    problem, result);
}

/** Where a building row is, in words; parts a row leaves empty are left out. */
const place = (b) => [b.city, b.state, b.zipCode, b.country, b.region].filter(Boolean).join(", ") || "—";

/** The active building map, a page at a time (`GET /buildings`). */
function buildingMap() {
  const section = h("section", { "aria-labelledby": "map-title" }, h("h2", { id: "map-title" }, "The building map in use"));
  const load = async () => {
    const about = h("p", { id: "map-version" });
    const body = h("tbody");
    const more = h("button", { type: "button", hidden: true }, "More buildings");
    const problem = alert();
    let cursor;
    const page = async () => {
      const answer = await api("/buildings", { limit: 100, cursor });
      about.replaceChildren(`Version ${answer.version}, uploaded `, stamp(answer.uploadedAt), `: ${count(answer.rowCount, "row")}.`);
      for (const b of answer.items) {
        body.append(h("tr", {}, cell(b.network), cell(b.networkName), cell(b.buildingName), cell(place(b)),
          cell([b.ownershipType, b.buildingType, b.buildingOfficeType].filter(Boolean).join(", ")),
          cell(yesNo(b.insideCorp)), cell(yesNo(b.expressRoute)), cell(yesNo(b.vpn))));
      }
      cursor = answer.nextCursor;
      more.hidden = !cursor;
    };
    more.addEventListener("click", () => page().catch(sayIn(problem)));
    try {
      await page();
    } catch (error) {
      if (error.status !== 404) throw error;
      return section.replaceChildren(section.firstChild, h("p", { id: "map-version" }, "No building file has been uploaded yet: no session shows a building."));
    }
    section.replaceChildren(section.firstChild, about,
      table("buildings", "Building rows, in file order", ["Network", "Network name", "Building", "Location", "Kind", "Inside corporate network", "ExpressRoute", "VPN"], body),
      more, problem);
  };
  return { section, load };
}

/** Subnets with audio in the last 30 days that no building row covers. */
async function unmappedSubnets() {
  const { items } = await api("/buildings/unmapped-subnets");
  return h("section", { "aria-labelledby": "unmapped-title" },
    h("h2", { id: "unmapped-title" }, "Subnets no building covers"),
    h("p", {}, "Subnets that sent at least 10 audio streams in the last 30 days and that no row of the building map covers: sessions there show no building. Add them to the building file."),
    items.length
      ? table("unmapped", "Unmapped subnets", ["Subnet", "Audio streams (30 days)"], h("tbody", {}, items.map((s) => h("tr", {}, cell(s.subnet), h("td", { class: "num" }, String(s.audioStreams))))))
      : h("p", { id: "unmapped-none" }, "None: every subnet with enough audio maps to a building."));
}

/** `#/buildings`: both uploads, the map in use and the subnets it misses. */
async function buildingsPage() {
  const map = buildingMap();
  await map.load();
  const unmapped = await unmappedSubnets();
  show(h("h1", {}, "Buildings"), FILES.map((file) => uploadForm(file, file[0] === "buildings" ? map.load : async () => {})), map.section, unmapped);
}

// ---- audit trail -------------------------------------------------------------------------

/** Audited actions (the strings the entries carry) in words. */
const ACTIONS = {
  history: "Read a user's history",
  detail: "Opened a call",
  escalate: "Escalated a call",
  escalations: "Listed escalations",
  escalation: "Opened an escalation",
  escalationNote: "Added a note to an escalation",
  escalationClaim: "Claimed an escalation",
  escalationResolve: "Resolved an escalation",
  erase: "Erased a person",
  erasureStatus: "Looked up an erasure",
  backfill: "Started a backfill from Graph",
  graphStatus: "Read the connector's status",
  deadLetterRetry: "Retried a dead letter",
  buildingsUpload: "Sent a building file",
  endpointsUpload: "Sent an endpoint file",
};

const ROLE_NAMES = { "support-specialist": "Support specialist", "support-engineer": "Support engineer", admin: "Admin", none: "No support role" };

/** `#/audit`: who read or changed what, newest first, by date and action, a page at a time. */
async function auditPage() {
  const today = new Date();
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const from = h("input", { type: "date", id: "audit-from", max: iso(today) });
  const to = h("input", { type: "date", id: "audit-to", max: iso(today) });
  const action = h("select", { id: "audit-action" }, h("option", { value: "" }, "Any action"),
    Object.entries(ACTIONS).map(([value, text]) => h("option", { value }, text)));
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Older entries");
  const summary = h("p", { id: "audit-summary", "aria-live": "polite" });
  const problem = alert();
  let cursor, filter = {};
  // A page filtered by a rare action may come back short, even empty, with a cursor where the
  // API's bounded read stopped: ask on until 50 entries are shown or 5 requests were made.
  const page = async () => {
    let shown = 0;
    for (let asked = 0; asked < 5 && shown < 50; asked++) {
      const answer = await api("/audit", { ...filter, limit: 50 - shown, cursor });
      rows(answer.items);
      shown += answer.items.length;
      cursor = answer.nextCursor;
      if (!cursor) break;
    }
    more.hidden = !cursor;
    summary.textContent = body.children.length ? `${count(body.children.length, "entry", "entries")} shown, newest first${cursor ? "; older ones below" : ""}.` : cursor ? "No entry matches yet: press Older entries to read further back." : "No entry matches.";
  };
  const rows = (items) => {
    for (const e of items) {
      const call = e.targetCall && (e.targetUser ? h("a", { href: `#/users/${encodeURIComponent(e.targetUser)}/calls/${encodeURIComponent(e.targetCall)}` }, e.targetCall) : e.targetCall);
      body.append(h("tr", { "data-action": e.action },
        cell(stamp(e.at)),
        cell(ACTIONS[e.action] || words(e.action)),
        cell(e.refusedAttempts ? `Refused (${count(e.refusedAttempts, "attempt")} that minute)` : "Allowed"),
        cell(e.subject), cell(ROLE_NAMES[e.role] || words(e.role)),
        cell(e.targetUser && h("a", { href: `#/users/${encodeURIComponent(e.targetUser)}` }, e.targetUser)),
        cell(call),
        cell(e.targetEscalation && h("a", { href: `#/escalation/${encodeURIComponent(e.targetEscalation)}` }, e.targetEscalation))));
    }
  };
  const apply = async () => {
    problem.textContent = "";
    filter = { from: from.value ? dayStart(from.value) : undefined, to: to.value ? dayStart(to.value, 1) : undefined, action: action.value || undefined };
    cursor = undefined;
    body.replaceChildren();
    await page();
  };
  more.addEventListener("click", () => page().catch(sayIn(problem)));
  await page();
  show(
    h("h1", {}, "Audit trail"),
    h("p", {}, "Every read of a user's history or a call, every escalation step, erasure and connector action, and every refused attempt, kept for 365 days."),
    h("form", { class: "row filters", onsubmit: (event) => { event.preventDefault(); apply().catch(sayIn(problem)); } },
      h("label", { for: "audit-from" }, "From"), from,
      h("label", { for: "audit-to" }, "To (inclusive)"), to,
      h("label", { for: "audit-action" }, "Action"), action,
      h("button", { type: "submit", class: "primary" }, "Show")),
    problem, summary,
    table("audit", "Audit entries", ["When", "Action", "Outcome", "Who (subject)", "Role", "User", "Call", "Escalation"], body),
    more,
  );
}

// ---- Graph connector ----------------------------------------------------------------------

const SUBSCRIPTION = {
  active: ["good", "Active"],
  expiring: ["state-open", "Expiring soon"],
  expired: ["poor", "Expired"],
  none: ["poor", "None"],
};

/** The subscription's state and expiry in words: `dt`/`dd` pairs. */
function subscriptionFacts(s) {
  const [tone, state] = SUBSCRIPTION[s.state] || ["unavailable", words(s.state)];
  const expiry = s.expiresAt && [` — ${new Date(s.expiresAt) > Date.now() ? "expires" : "expired"} ${fromNow(s.expiresAt)} (`, stamp(s.expiresAt), ")"];
  return [
    h("dt", {}, "Subscription"),
    h("dd", { id: "subscription" }, h("span", { class: `badge ${tone}` }, state), expiry,
      s.state === "none" ? " — callscope hears of no new call record until the connector subscribes again." : null),
    s.resource ? [h("dt", {}, "Resource"), h("dd", {}, s.resource)] : null,
    s.lastRenewedAt ? [h("dt", {}, "Last renewed"), h("dd", {}, `${fromNow(s.lastRenewedAt)} (`, stamp(s.lastRenewedAt), ")")] : null,
    s.id ? [h("dt", {}, "Subscription id"), h("dd", {}, h("code", {}, s.id))] : null,
  ].flat();
}

const queueWords = (q) => q ? `${count(q.waiting, "message")} waiting${q.inFlight === undefined ? "" : `, ${q.inFlight} being worked on`}` : "—";

/** The dead letters, a page at a time, each with a Retry button. */
function deadLetters() {
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "More dead letters");
  const problem = alert();
  const none = h("p", { id: "dead-letters-none", hidden: true }, "None: the connector gave up on no call record in the last 30 days.");
  const list = table("dead-letters", "Call records the connector gave up on, newest first", ["Call record", "Given up", "Attempts", "Reason", "Action"], body);
  let cursor;
  const row = (d) => {
    const outcome = h("span", { class: "retry-outcome", role: "status" });
    const retry = h("button", { type: "button", "aria-label": `Retry call record ${d.callId}` }, "Retry");
    retry.addEventListener("click", async () => {
      retry.disabled = true;
      try {
        const answer = await post(`/graph/dead-letters/${encodeURIComponent(d.callId)}/retry`);
        outcome.textContent = answer.queued ? " Queued: it is fetched again, and leaves this list once stored." : " Already queued: a fetch of it is pending.";
        say(`Call record ${d.callId} queued for another fetch`);
      } catch (error) {
        retry.disabled = false;
        if (error.status === 404) outcome.textContent = " No longer a dead letter: it was stored or has gone since.";
        else sayIn(outcome)(error);
      }
    });
    return h("tr", { "data-call": d.callId }, cell(h("code", {}, d.callId)), cell(stamp(d.at)), h("td", { class: "num" }, String(d.attempts)), cell(d.reason), h("td", {}, retry, outcome));
  };
  const page = async () => {
    const answer = await api("/graph/dead-letters", { limit: 50, cursor });
    body.append(...answer.items.map(row));
    cursor = answer.nextCursor;
    more.hidden = !cursor;
    none.hidden = body.children.length > 0;
    list.hidden = body.children.length === 0;
  };
  more.addEventListener("click", () => page().catch(sayIn(problem)));
  return { page, nodes: [none, list, more, problem] };
}

/** `#/connector`: is the Graph connector alive — subscription, notifications, queues, dead letters. */
async function connectorPage() {
  const status = await api("/graph/status");
  const letters = deadLetters();
  await letters.page();
  const q = status.queues || {};
  show(
    h("h1", {}, "Graph connector"),
    h("p", {}, "Microsoft Graph notifies callscope of each new call record through a subscription that must be renewed every few days; the notified records wait in the live queue, backfills in their own, and a record that keeps failing ends in the dead-letter queue and among the dead letters below."),
    h("dl", { class: "facts", id: "connector-status" },
      ...subscriptionFacts(status.subscription || { state: "none" }),
      h("dt", {}, "Last notification"),
      h("dd", { id: "last-notification" }, status.lastNotificationAt ? [`${fromNow(status.lastNotificationAt)} (`, stamp(status.lastNotificationAt), ")"] : "None in the last 30 days"),
      h("dt", {}, "Live queue"), h("dd", { id: "queue-live" }, queueWords(q.live)),
      h("dt", {}, "Backfill queue"), h("dd", { id: "queue-backfill" }, queueWords(q.backfill)),
      h("dt", {}, "Dead-letter queue"), h("dd", { id: "queue-dead-letter" }, queueWords(q.deadLetter)),
      h("dt", {}, "Dead letters (30 days)"), h("dd", { id: "dead-letter-count" }, `${status.deadLettersMore ? "At least " : ""}${count(status.deadLetters ?? 0, "call record")}`)),
    h("h2", {}, "Dead letters"),
    letters.nodes,
  );
}

// ---- erasure -------------------------------------------------------------------------------

/** What an erasure found and did, in words (`DELETE /users/{id}` and its status answer alike). */
function erasureSummary(report) {
  const lines = [
    `Found in ${count(report.callsFound, "call")}.`,
    `Rewrote ${count(report.callsRewritten, "call")}; replaced them in ${count(report.counterpartsRewritten, "other person's history line", "other people's history lines")}; deleted ${count(report.directoryEntriesDeleted, "directory entry", "directory entries")}, ${count(report.historyEntriesDeleted, "history entry", "history entries")}, ${count(report.stalePagesDeleted, "old page")}; ${count(report.escalationsRewritten, "escalation")} changed.`,
    report.complete ? "Complete: every step is done." : "Still running: the rest finishes in the background — look it up again.",
  ];
  const at = (iso) => [stamp(iso)];
  return h("div", { id: "erasure-result", role: "region", "aria-label": "Erasure" },
    lines.map((line) => h("p", {}, line)),
    report.requestedAt ? h("p", {}, "Last asked for ", at(report.requestedAt), report.requests > 1 ? ` (asked ${report.requests} times).` : ".") : null,
    report.completedAt ? h("p", {}, "Last finished ", at(report.completedAt), ".") : null,
    report.sweepPending && report.sweepAt ? h("p", {}, "A last check runs at ", at(report.sweepAt), ".") : null);
}

/** The admin's erasure page: look up where a person's erasure stands, or erase them after an
 * inline confirmation (a `window.confirm` would be invisible to headless tests and screen
 * readers alike). `#/erasure/<id>` looks `id` up on opening; not `admin`, it says only an admin
 * may. */
function erasurePage(id, admin) {
  if (!admin) {
    return show(h("h1", {}, "Erasure"), h("p", { class: "error", role: "alert" }, "Only an admin may erase someone or read an erasure."));
  }
  const input = h("input", { type: "text", id: "erasure-id", name: "id", autocomplete: "off", spellcheck: "false", required: true, value: id || "" });
  const result = h("div", { "aria-live": "polite" });
  const question = h("p", { id: "erasure-question" });
  const problem = alert();
  const failed = sayIn(problem);
  const start = h("button", { type: "button", onclick: () => ask() }, "Erase…");
  const yes = h("button", { type: "button", class: "primary", onclick: () => erase().catch(failed) }, "Yes, erase");
  const confirm = h("div", { class: "confirm", role: "group", "aria-labelledby": "erasure-question", hidden: true },
    question, yes, " ", h("button", { type: "button", onclick: () => close() }, "Cancel"));
  // Whom "Yes, erase" erases: the id the question named, whatever the field says since.
  let asked = "";
  // The address names the person shown, so a reload or a shared link looks them up again.
  const keepInAddress = (person) => history.replaceState(null, "", `#/erasure/${encodeURIComponent(person)}`);
  const path = (person) => `/users/${encodeURIComponent(person)}`;
  const ask = () => {
    if (!input.reportValidity()) return;
    asked = input.value.trim();
    question.textContent = `Erase ${asked} from every stored call, history, search and escalation? This cannot be undone.`;
    confirm.hidden = false;
    yes.focus();
  };
  const close = () => { confirm.hidden = true; start.focus(); };
  // A refused id is said beside the form, which stays; a 404 says what it means here.
  const answer = async (call, notFound, working) => {
    problem.textContent = "";
    // What was shown is about to be out of date: say what is being done until the answer comes.
    result.replaceChildren(h("p", { role: "status" }, working));
    try {
      result.replaceChildren(erasureSummary(await call()));
    } catch (error) {
      if (error.status === 404) result.replaceChildren(h("p", {}, notFound));
      else if (error.status === 400) result.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
      else throw error;
    }
  };
  const status = (person) => api(`${path(person)}/erasure`);
  const lookUp = async () => {
    const person = input.value.trim();
    keepInAddress(person);
    await answer(() => status(person), "Not erased: no erasure was ever asked for this id.", "Looking it up…");
  };
  const erase = async () => {
    close();
    input.value = asked;
    keepInAddress(asked);
    // Then where it stands, which also names the last check's time.
    await answer(async () => {
      await remove(path(asked));
      return status(asked);
    }, "Nothing stored names this id: no call, history or escalation.", "Erasing… this takes a few seconds, longer for someone in many calls.");
  };
  const form = h("form", { class: "row", onsubmit: (event) => { event.preventDefault(); lookUp().catch(failed); } },
    h("label", { for: "erasure-id" }, "Person's id (a user id, a guest's id, or a phone number such as +15551234567)"),
    input,
    h("button", { type: "submit" }, "Look up"),
    start,
  );
  show(
    h("h1", {}, "Erasure"),
    h("p", {}, "Erasing a person replaces their identity with \"Erased user\" in every stored call they took part in and drops their network and devices there; their history and search entries go, their escalation notes lose their text, and the calls' metrics stay. It covers every call that started before the request: a call after it is theirs again (erase again to cover it)."),
    form, problem, confirm, result,
  );
  if (id) lookUp().catch(failed);
}
