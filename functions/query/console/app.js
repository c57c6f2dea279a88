// callscope console: search a user, scan their 30-day history, open a call and see why it was
// poor; hand it to tier 2 with a note, and work tier 2's queue. It talks only to the query API with the signed-in user's bearer token, so it shows
// exactly what the API gives that role. Everything is built with DOM calls (no innerHTML), so
// names from call records can never become markup.

import {
  TOKEN_KEY, h, show, say, token, claims, hasRole, SignedOut, api, post, remove, request, at,
  localDay, ZONE, duration, words, inWords, label, value, sentence, RATING, badge, meetingOf,
  isPhone, phoneIcon, phoneCounterpart,
  ownAndMeeting, party, metricLabel, metricValue, gradeCell, gradeLegend, ratingLegend, count,
} from "./lib.js";
import { advancedPanel, debugPanel } from "./details.js";
import { adminRoute, adminLinks } from "./admin.js";

const PKCE_KEY = "callscope.pkce";
const NAMES_KEY = "callscope.names";
let config = { signIn: "dev" };

// ---- sign-in -----------------------------------------------------------------------------

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(NAMES_KEY);
  location.hash = "#/";
  render();
}

const ROLES = [
  ["support-specialist", "Support specialist", "Tier 1: the searched user's name, ratings and causes"],
  ["support-engineer", "Support engineer", "Tier 2: every name, Advanced and Debug"],
  ["admin", "Admin", "Everything tier 2 sees, plus the building and endpoint files, the audit trail, the Graph connector's health and erasure"],
];

function signInPage() {
  if (config.signIn === "oidc") {
    return show(h("h1", {}, "Sign in"), h("button", { class: "primary", type: "button", onclick: oidcStart }, "Sign in with your organisation"));
  }
  const pick = async (role) => {
    const response = await fetch(`/dev/token?role=${encodeURIComponent(role)}`);
    if (!response.ok) return say(`The local gateway gave no token (${response.status}).`);
    sessionStorage.setItem(TOKEN_KEY, (await response.json()).token);
    render();
  };
  show(
    h("h1", {}, "Sign in (local)"),
    h("p", {}, "Pick the role to try the console as. These are the local gateway's dev tokens; in AWS the console signs in with your organisation."),
    h("div", { class: "roles" }, ROLES.map(([role, name, what]) => h("button", { type: "button", "data-role": role, onclick: () => pick(role) }, name, h("small", {}, what)))),
  );
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function discovery() {
  const response = await fetch(`${config.issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the issuer's discovery document answered ${response.status}`);
  return response.json();
}

function redirectUri() {
  return `${location.origin}/console`;
}

/** OpenID Connect authorization code flow with PKCE: off to the identity provider. */
async function oidcStart() {
  const endpoints = await discovery();
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const url = new URL(endpoints.authorization_endpoint);
  const params = { response_type: "code", client_id: config.clientId, redirect_uri: redirectUri(), scope: config.scope, state, code_challenge: challenge, code_challenge_method: "S256" };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  location.assign(url);
}

/** Back from the identity provider with `?code=&state=`: trade the code for a token. */
async function oidcFinish(query) {
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "{}");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", `/console${saved.hash || ""}`);
  if (!saved.state || query.get("state") !== saved.state) throw new Error("the sign-in answer does not match the request");
  const endpoints = await discovery();
  const body = new URLSearchParams({ grant_type: "authorization_code", code: query.get("code"), redirect_uri: redirectUri(), client_id: config.clientId, code_verifier: saved.verifier });
  const response = await fetch(endpoints.token_endpoint, { method: "POST", body });
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  const tokens = await response.json();
  sessionStorage.setItem(TOKEN_KEY, tokens.access_token || tokens.id_token);
}

// ---- pages -------------------------------------------------------------------------------

/** The search box: suggestions as you type (name or SIP address), arrow keys and Enter. */
function searchBox() {
  const list = h("ul", { id: "suggestions", role: "listbox", hidden: true });
  const input = h("input", { type: "search", id: "search", role: "combobox", "aria-expanded": "false", "aria-controls": "suggestions", "aria-autocomplete": "list", placeholder: "Name or SIP address", autocomplete: "off" });
  let items = [], active = -1, timer, asked = 0;
  const open = (user) => { remember(user); location.hash = `#/users/${encodeURIComponent(user.id)}`; };
  const paint = () => {
    list.replaceChildren(...items.map((user, i) => h("li", { role: "option", id: `option-${i}`, "aria-selected": String(i === active), onmousedown: (e) => { e.preventDefault(); open(user); } }, user.displayName || user.userPrincipalName || user.id, user.userPrincipalName && h("small", {}, user.userPrincipalName))));
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", String(items.length > 0));
    if (active >= 0) input.setAttribute("aria-activedescendant", `option-${active}`); else input.removeAttribute("aria-activedescendant");
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) { items = []; active = -1; return paint(); }
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const found = await suggestions(text);
        if (mine !== asked) return;
        items = found; active = items.length ? 0 : -1; paint();
        say(items.length ? count(items.length, "suggestion") : "No user matches");
      } catch (error) { failed(error); }
    }, 200);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && items.length) { active = (active + 1) % items.length; paint(); e.preventDefault(); }
    else if (e.key === "ArrowUp" && items.length) { active = (active - 1 + items.length) % items.length; paint(); e.preventDefault(); }
    else if (e.key === "Enter" && active >= 0) { open(items[active]); e.preventDefault(); }
    else if (e.key === "Escape") { items = []; active = -1; paint(); }
  });
  input.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 150));
  return h("div", { class: "row" }, h("label", { for: "search" }, "Find a user"), h("div", { class: "combo" }, input, list), h("a", { href: "#/users" }, "View users"));
}

/** Suggestions are a page of this many users. */
const SUGGESTIONS = 8;

/** A page of users matching every word of `text`: the API reads a bounded amount per request
 * and may answer fewer with a `nextCursor`, so ask again until the page is full (a few times at
 * most: a suggestion list must come quickly). */
async function suggestions(text) {
  const found = [];
  let cursor;
  for (let asks = 0; asks < 5 && found.length < SUGGESTIONS; asks++) {
    const page = await api("/users", { search: text, limit: SUGGESTIONS, cursor });
    found.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return found.slice(0, SUGGESTIONS);
}

/** Names of users picked in this tab, so a history page can say whose it is. */
function remember(user) {
  const names = JSON.parse(sessionStorage.getItem(NAMES_KEY) || "{}");
  names[user.id] = user.displayName || user.userPrincipalName || user.id;
  sessionStorage.setItem(NAMES_KEY, JSON.stringify(names));
}

function nameOf(userId) {
  return JSON.parse(sessionStorage.getItem(NAMES_KEY) || "{}")[userId] || userId;
}

function homePage() {
  show(h("h1", {}, "Call quality by user"), searchBox(), h("p", {}, "Type a name or SIP address, pick the user with the arrow keys and Enter, then open a call from their last 30 days."));
  document.getElementById("search").focus();
}

async function usersPage() {
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "More users");
  let cursor;
  const load = async () => {
    const page = await api("/users", { limit: 50, cursor });
    for (const user of page.items) {
      body.append(h("tr", {}, h("td", {}, h("a", { href: `#/users/${encodeURIComponent(user.id)}`, onclick: () => remember(user) }, user.displayName || user.id)), h("td", {}, user.userPrincipalName || ""), h("td", {}, user.lastCallAt ? at(user.lastCallAt) : "")));
    }
    cursor = page.nextCursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => load().catch(failed));
  await load();
  show(h("h1", {}, "Users with calls in the last 30 days"), searchBox(), h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Address"), h("th", {}, "Last call"))), body), more);
}

/** Where a history row's two ends were: the building of each whose subnet the building file maps. */
function ends(call) {
  const place = (b) => (b ? [b.buildingName, b.city].filter(Boolean).join(", ") : "not mapped");
  return `User: ${place(call.userBuilding)}; counterpart: ${place(call.counterpartBuilding)}`;
}

/** The API keeps at most this many calls of a user's 30 days. */
const HISTORY_CAP = 500;
/** Rows of the history shown at a time. */
const HISTORY_PAGE = 50;
/** Ratings from worst to best: the order a "worst first" sort and the charts use. */
const RATINGS = ["poor", "unavailable", "pending", "good"];

/** The user's whole window (at most 500 calls), a hundred at a time; and the owner from the
 * first answer, as this role may see them. */
async function wholeHistory(userId) {
  const calls = [];
  let cursor, user;
  do {
    const page = await api(`/users/${encodeURIComponent(userId)}/calls`, { limit: 100, cursor });
    user ||= page.user;
    calls.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && calls.length < HISTORY_CAP);
  return { calls, user };
}

/** The history's columns: heading, sort key and cell. */
function historyColumns(userId, engineer) {
  // A meeting's counterpart is its organizer, and says so.
  const counterpart = (call) => isPhone(call) ? phoneCounterpart(call)
    : call.counterpart ? `${call.type === "groupCall" ? "Organized by " : ""}${party(call.counterpart)}` : meetingOf(call);
  // A phone call's line says whether it connected; the issue code's sentence is about sessions.
  const issues = (c) => (isPhone(c) ? inWords(c.outcome) : c.issueCodes.map(sentence).join(" "));
  const columns = [
    ["Date", (c) => c.startDateTime, (c) => h("td", {}, h("a", { href: `#/users/${encodeURIComponent(userId)}/calls/${encodeURIComponent(c.callId)}` }, at(c.startDateTime)))],
    ["Type", (c) => inWords(c.type), (c) => h("td", {}, isPhone(c) ? [phoneIcon(c), " "] : null, inWords(c.type))],
    ["Counterpart", (c) => counterpart(c).toLowerCase(), (c) => h("td", {}, counterpart(c))],
    ["Participants", (c) => c.participantCount, (c) => h("td", { class: "num" }, String(c.participantCount))],
    ["Duration", (c) => c.durationSeconds, (c) => h("td", { class: "num" }, duration(c.durationSeconds))],
    ["Rating", (c) => RATINGS.indexOf(c.rating), (c) => h("td", {}, badge(c.rating), c.callRating && c.callRating !== c.rating ? h("span", { class: "meeting-rating" }, ` · the meeting: ${RATING[c.callRating]?.[1] || words(c.callRating)}`) : null)],
    ["Issues", issues, (c) => h("td", { "data-codes": c.issueCodes.join(" ") }, issues(c))],
  ];
  if (engineer) columns.push(["Buildings", (c) => ends(c), (c) => h("td", {}, ends(c))]);
  return columns;
}

async function historyPage(userId) {
  // Engineers' and admins' rows carry the building of each end; a specialist's never do.
  const engineer = can("support-engineer", "admin");
  const { calls, user } = await wholeHistory(userId);
  const name = user?.displayName || user?.userPrincipalName || nameOf(userId);
  const columns = historyColumns(userId, engineer);
  const state = { rating: "", type: "", from: "", to: "", sort: 0, ascending: false, page: 0 };
  const body = h("tbody");
  const position = h("p", { id: "history-position", "aria-live": "polite" });
  const previous = h("button", { type: "button", id: "previous-calls" }, "Newer calls");
  const next = h("button", { type: "button", id: "next-calls" }, "Older calls");
  const headers = columns.map(([title], i) => h("th", { scope: "col" },
    h("button", { type: "button", class: "sort", "data-column": String(i), onclick: () => sortBy(i) }, title)));
  const shown = () => {
    const [, key] = columns[state.sort];
    const rows = calls.filter((c) =>
      (!state.rating || c.rating === state.rating) && (!state.type || c.type === state.type) &&
      (!state.from || localDay(c.startDateTime) >= state.from) && (!state.to || localDay(c.startDateTime) <= state.to));
    const order = state.ascending ? 1 : -1;
    return rows.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return (x < y ? -1 : x > y ? 1 : 0) * order || (a.startDateTime < b.startDateTime ? 1 : -1);
    });
  };
  const paint = () => {
    const rows = shown();
    const pages = Math.max(1, Math.ceil(rows.length / HISTORY_PAGE));
    state.page = Math.min(state.page, pages - 1);
    const first = state.page * HISTORY_PAGE;
    const page = rows.slice(first, first + HISTORY_PAGE);
    body.replaceChildren(...page.map((c) => h("tr", { "data-call": c.callId }, columns.map(([, , cell]) => cell(c)))));
    headers.forEach((th, i) => {
      if (i === state.sort) th.setAttribute("aria-sort", state.ascending ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    position.textContent = rows.length ? `Calls ${first + 1}–${first + page.length} of ${rows.length}${rows.length < calls.length ? ` (of ${calls.length} in 30 days)` : ""}` : "No call matches these filters.";
    previous.hidden = state.page === 0;
    next.hidden = state.page >= pages - 1;
    say(rows.length ? `${count(rows.length, "call")} match` : "No calls");
  };
  const sortBy = (i) => {
    // A new column sorts its natural way first: newest, largest, worst (ratings) and A to Z first.
    if (state.sort === i) state.ascending = !state.ascending;
    else { state.sort = i; state.ascending = !["Date", "Participants", "Duration"].includes(columns[i][0]); }
    state.page = 0;
    paint();
  };
  previous.addEventListener("click", () => { state.page -= 1; paint(); });
  next.addEventListener("click", () => { state.page += 1; paint(); });
  const filter = (field) => (event) => { state[field] = event.target.value; state.page = 0; paint(); };
  const types = [...new Set(calls.map((c) => c.type))];
  const filters = h("fieldset", { class: "filters" }, h("legend", {}, "Narrow the calls"),
    h("label", {}, "Rating ", h("select", { id: "filter-rating", onchange: filter("rating") },
      h("option", { value: "" }, "Any rating"), RATINGS.map((r) => h("option", { value: r }, RATING[r][1])))),
    h("label", {}, "Type ", h("select", { id: "filter-type", onchange: filter("type") },
      h("option", { value: "" }, "Any type"), types.map((t) => h("option", { value: t }, inWords(t))))),
    h("label", {}, "From ", h("input", { type: "date", id: "filter-from", onchange: filter("from") })),
    h("label", {}, "To ", h("input", { type: "date", id: "filter-to", onchange: filter("to") })));
  /** The rows the filters keep, in the order shown, as CSV: the API's own CSV of the window
   * (same role, same cursors), its lines picked and ordered by call id. */
  const exportCsv = async () => {
    const lines = new Map();
    let header = "", cursor;
    do {
      const response = await api(`/users/${encodeURIComponent(userId)}/calls`, { limit: 100, cursor, format: "csv" }, true);
      const [first, ...rest] = (await response.text()).trim().split("\n");
      header = first;
      // The call id's column counted from the end: the columns after it hold no comma.
      const fields = header.split(",");
      const fromEnd = fields.length - fields.indexOf("callId");
      for (const line of rest) {
        const cells = line.split(",");
        lines.set(cells[cells.length - fromEnd], line);
      }
      cursor = response.headers.get("x-next-cursor") || undefined;
    } while (cursor);
    const text = [header, ...shown().map((c) => lines.get(c.callId)).filter(Boolean)].join("\n") + "\n";
    const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: `calls-${userId}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    say("CSV exported");
  };
  paint();
  show(
    h("p", {}, h("a", { href: "#/" }, "← Search")),
    h("h1", {}, `Calls of ${name}, last 30 days`),
    calls.length >= HISTORY_CAP ? h("p", { class: "note", id: "history-cap" }, `This user reached the cap: at most ${HISTORY_CAP} calls in 30 days are kept, so the oldest calls of the window are not listed.`) : null,
    glance(calls),
    h("h2", {}, "Calls"),
    filters,
    h("div", { class: "row" }, h("button", { type: "button", id: "export", onclick: () => exportCsv().catch(failed) }, "Export CSV"), position),
    h("table", { id: "history" }, h("caption", { class: "skip" }, "Calls of the last 30 days"), h("thead", {}, h("tr", {}, headers)), body),
    h("div", { class: "row" }, previous, next),
    h("details", {}, h("summary", {}, "What the ratings mean"), ratingLegend()),
  );
}

// ---- the 30 days at a glance -------------------------------------------------------------

/** The series the charts stack, worst at the bottom. */
const SERIES = ["poor", "unavailable", "pending", "good"];

/** Calls per bucket and rating: `buckets` labels, `of(call)` a call's bucket index. */
function tally(calls, buckets, of) {
  const counts = buckets.map(() => Object.fromEntries(SERIES.map((r) => [r, 0])));
  for (const c of calls) {
    const i = of(c);
    if (i >= 0 && i < buckets.length) counts[i][SERIES.includes(c.rating) ? c.rating : "unavailable"] += 1;
  }
  return counts;
}

/** One stacked bar chart as inline SVG (no script, no inline style), with its numbers as a
 * table behind it: `id` names it, `keys` and `labels` its bars, `counts` their ratings. */
function barChart(id, title, keys, labels, counts, summary, every = 1) {
  const series = SERIES.filter((r) => r !== "pending" || counts.some((c) => c.pending));
  const [width, height, left, bottom] = [720, 160, 28, 22];
  const most = Math.max(1, ...counts.map((c) => series.reduce((sum, r) => sum + c[r], 0)));
  const slot = (width - left) / labels.length;
  const y = (n) => (height - bottom) * (1 - n / most);
  const svgNs = "http://www.w3.org/2000/svg";
  const el = (tag, attributes, ...children) => {
    const node = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    node.append(...children);
    return node;
  };
  const bars = counts.flatMap((c, i) => {
    let base = 0;
    return series.filter((r) => c[r]).map((r) => {
      const top = base + c[r];
      const rect = el("rect", { class: `bar-${r}`, "data-bucket": keys[i], "data-rating": r, "data-count": String(c[r]), x: String(left + i * slot + 1), y: String(y(top)), width: String(Math.max(1, slot - 2)), height: String(y(base) - y(top)) });
      base = top;
      return rect;
    });
  });
  const ticks = labels.map((text, i) => (i % every ? null : el("text", { class: "tick", x: String(left + i * slot + slot / 2), y: String(height - 6), "text-anchor": "middle" }, text))).filter(Boolean);
  const scale = [0, most].map((n) => el("text", { class: "tick", x: String(left - 4), y: String(y(n) + (n ? 10 : 0)), "text-anchor": "end" }, String(n)));
  const svg = el("svg", { id, role: "img", "aria-label": summary, viewBox: `0 0 ${width} ${height}`, class: "chart" },
    el("line", { class: "axis", x1: String(left), x2: String(width), y1: String(height - bottom), y2: String(height - bottom) }), ...bars, ...ticks, ...scale);
  const table = h("table", { class: "chart-data", id: `${id}-data` },
    h("caption", {}, title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, id === "chart-days" ? "Day" : "Hour"), series.map((r) => h("th", { scope: "col" }, RATING[r][1])), h("th", { scope: "col" }, "All"))),
    h("tbody", {}, counts.map((c, i) => h("tr", { "data-bucket": keys[i] },
      h("th", { scope: "row" }, labels[i]), series.map((r) => h("td", { class: "num", "data-rating": r }, String(c[r]))), h("td", { class: "num" }, String(series.reduce((sum, r) => sum + c[r], 0)))))));
  return h("figure", { class: "glance" },
    h("figcaption", {}, title), svg,
    h("details", {}, h("summary", {}, `${title}: the numbers`), table));
}

/** The user's 30 days at a glance: calls per day by rating, and by hour of day, in the agent's
 * time zone — so "poor every afternoon" shows before anyone reads a row. */
function glance(calls) {
  // The window is the 30 days before now: 31 calendar days of the agent's, the first and
  // the last in part.
  const days = [];
  for (const d = new Date(Date.now() - 30 * 86400e3); localDay(d.toISOString()) <= localDay(new Date().toISOString()); d.setDate(d.getDate() + 1)) {
    days.push(localDay(d.toISOString()));
  }
  const dayLabels = days.map((d) => new Date(`${d}T12:00:00`).toLocaleDateString(undefined, { day: "numeric", month: "short" }));
  const perDay = tally(calls, days, (c) => days.indexOf(localDay(c.startDateTime)));
  const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, "0"));
  const perHour = tally(calls, hours, (c) => new Date(c.startDateTime).getHours());
  const poor = calls.filter((c) => c.rating === "poor").length;
  const busiest = (counts, labels) => {
    const totals = counts.map((c) => SERIES.reduce((sum, r) => sum + c[r], 0));
    const i = totals.indexOf(Math.max(...totals));
    return `${labels[i]} (${count(totals[i], "call")})`;
  };
  const worstHour = (() => {
    const i = perHour.map((c) => c.poor).reduce((best, n, j, all) => (n > all[best] ? j : best), 0);
    return perHour[i].poor ? `; most poor calls at ${hours[i]}:00 (${perHour[i].poor})` : "";
  })();
  const legend = h("ul", { class: "chart-legend", "aria-hidden": "true" },
    SERIES.filter((r) => r !== "pending" || calls.some((c) => c.rating === "pending")).map((r) => h("li", {}, h("span", { class: `swatch bar-${r}` }), RATING[r][1])));
  return h("section", { class: "glance", "aria-labelledby": "glance-title" },
    h("h2", { id: "glance-title" }, "The 30 days at a glance"),
    h("p", {}, `${count(calls.length, "call")}, ${poor} poor. Times in ${ZONE}.`),
    legend,
    h("div", { class: "charts" },
      barChart("chart-days", "Calls per day by rating", days, dayLabels, perDay, `Calls per day by rating over the last 30 days: ${count(calls.length, "call")}, ${poor} poor; busiest day ${busiest(perDay, dayLabels)}.`, 5),
      barChart("chart-hours", `Calls by hour of day (${ZONE})`, hours, hours.map((h) => `${h}:00`), perHour, `Calls by hour of day in ${ZONE}: busiest hour ${busiest(perHour, hours)}${worstHour}.`, 3)));
}

const COMPARISON = { above: ">", atLeast: "≥", below: "<" };
const SEVERITY = { red: 0, yellow: 1, normal: 2 };

/** "Segment 2, 3 Dec 2026, 14:05 CET": a metric's segment by its place in the session, and its
 * start where the role's view has the timeline. */
function segmentName(index, session) {
  const start = session?.timeline?.[index]?.startDateTime;
  return [`Segment ${index + 1}`, start && at(start)].filter(Boolean).flatMap((part, i) => (i ? [", ", part] : [part]));
}

/** An end of a session by the name the role may see, and which end it is: "Bob Babbage's end
 * (the callee)". A metric is measured at one end; the fault may lie at the other. */
const endOf = (session, side) => `${party(session?.[side])}'s end (the ${inWords(side).toLowerCase()})`;

/** Who measured a stream: "Bob Babbage's end (the callee), caller to callee". */
const measuredOn = (m, session) => [m.side && endOf(session, m.side), m.direction && inWords(m.direction).toLowerCase()].filter(Boolean).join(", ") || "—";

/** A session's graded metrics, worst first (red, yellow, normal), each by its segment (the
 * legend goes once beside them: `gradeLegend`). */
function metricsTable(metrics, session) {
  if (!metrics.length) return h("p", {}, "No metrics were reported.");
  const rows = [...metrics].sort((a, b) => (SEVERITY[a.grade] ?? 3) - (SEVERITY[b.grade] ?? 3) || (a.segment ?? 0) - (b.segment ?? 0));
  return h("table", { class: "metrics" },
      h("thead", {}, h("tr", {}, ["Metric", "Media", "Segment", "Measured at", "Value", "Threshold", "Grade"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((m) => h("tr", { "data-metric": m.metric },
        h("td", {}, metricLabel(m.metric)),
        h("td", {}, inWords(m.media)),
        h("td", {}, m.segment === undefined ? "—" : segmentName(m.segment, session)),
        h("td", {}, measuredOn(m, session)),
        h("td", { class: "num" }, metricValue(m.metric, m.value)),
        h("td", { class: "num" }, `${COMPARISON[m.comparison] || ""} ${metricValue(m.metric, m.threshold)}`),
        gradeCell(m.grade)))));
}

function facts(object) {
  const rows = Object.entries(object || {}).filter(([, v]) => v !== null && v !== undefined && typeof v !== "object");
  const nested = Object.entries(object || {}).filter(([, v]) => v && typeof v === "object");
  if (!rows.length && !nested.length) return h("p", {}, "Nothing reported.");
  return h("div", {},
    h("dl", { class: "facts" }, rows.flatMap(([k, v]) => [h("dt", {}, label(k)), h("dd", {}, value(k, v))])),
    nested.map(([k, v]) => h("div", {}, h("h4", {}, label(k)), facts(v))));
}

/** One session's Advanced tab: its graded metrics, then every detail Graph reported per side. */
const advancedOf = (s) => [metricsTable(s.metrics, s), advancedPanel(s)];

/** A tab's content with the grade legend above it, for the tabs that show grades, and what the
 * ratings (Unavailable and Pending above all) mean a click away. */
const withLegend = (content) => [gradeLegend(), h("details", {}, h("summary", {}, "What the ratings mean"), ratingLegend()), ...[content].flat()];

/** One session's Debug tab. */
const debugOf = (s) => [debugPanel(s)];

/** Each session's `content`, under its heading. */
function perSession(sessions, content) {
  return sessions.map((s) => h("section", { class: "session" },
    h("h3", {}, `Session ${(s.index ?? 0) + 1}: ${party(s.caller)} → ${party(s.callee)} `, badge(s.rating)),
    ...content(s)));
}

/** "likely at Bob's end": where the main cause most likely lies, each end named as the role
 * may see it. */
function likelyAt(s) {
  if (s.likelyAt === "both") return "likely at both ends";
  const end = s[s.likelyAt];
  return end ? `likely at ${party(end)}'s end` : null;
}

/** "Caller in SEATTLE-SEA-1, Seattle": where the building file puts each end. */
function locationLine(s) {
  const place = (b) => [b.buildingName, b.city].filter(Boolean).join(", ");
  return ["caller", "callee"].map((side) => s.location[side] && `${inWords(side)} in ${place(s.location[side])}`).filter(Boolean).join("; ") || "not mapped";
}

/** A session's issues, one line per kind and end: "The network made the audio poor: average
 * packet loss, average jitter (measured at Bob Babbage's end (the callee))". */
function issuesInWords(s) {
  const lines = new Map();
  for (const issue of s.issues) {
    const key = `${issue.code} ${issue.side || ""}`;
    if (!lines.has(key)) lines.set(key, { code: issue.code, side: issue.side, metrics: [] });
    if (issue.metric && !lines.get(key).metrics.includes(issue.metric)) lines.get(key).metrics.push(issue.metric);
  }
  return [...lines.values()].map(({ code, side, metrics }) => {
    const what = metrics.map((m) => metricLabel(m).toLowerCase()).join(", ");
    const where = side ? `measured at ${endOf(s, side)}` : "";
    return [sentence(code).replace(/\.$/, ""), what && `: ${what}`, where && ` (${where})`, "."].filter(Boolean).join("");
  });
}

/** One session's verdict: main cause, issues in words, location, graded metrics. */
function sessionOverview(s) {
  return [
    s.segmentsShown ? h("p", { class: "note" }, `The first ${s.segmentsShown} of its ${s.segmentCount} segments are shown: the session is too large to show whole.`) : null,
    s.mainCause ? h("p", { class: "cause" }, h("strong", {}, "Main cause: "), s.mainCause, likelyAt(s) ? h("span", { class: "likely" }, ` (${likelyAt(s)})`) : null) : null,
    s.issues.length ? h("ul", {}, issuesInWords(s).map((line) => h("li", {}, line))) : null,
    s.location ? h("p", {}, "Location: ", locationLine(s)) : null,
    metricsTable(s.metrics, s),
  ];
}

/** Sessions, each under a link to its own page (by its place in the call). */
function sessionSections(sessions, userId, callId) {
  return sessions.map((s) => h("section", { class: "session", "data-rating": s.rating, "data-index": String(s.index) },
    h("h3", {}, h("a", { href: sessionHref(userId, callId, s.index) }, `Session ${s.index + 1}: ${party(s.caller)} → ${party(s.callee)}`), " ", badge(s.rating)),
    ...sessionOverview(s)));
}

/** A call's sessions: all of a small call; of a large one the user's own first, then every
 * session of the meeting behind a rating filter, a page at a time. */
function overview(call, userId) {
  const own = call.sessionsIncluded === "own";
  const shown = [
    own ? h("h3", {}, `Sessions of ${party(call.user)}`) : null,
    ...sessionSections(call.sessions, userId, call.callId),
  ];
  if (!own && !call.moreSessions) return shown;
  return [...shown, allSessions(call, userId)];
}

/** Who took part, in one line: the named ones, then the unnamed ones by label ("Internal
 * User", as a specialist sees everyone but the searched user) counted rather than repeated. */
function participantsLine(call) {
  const names = call.participants.map(party);
  const counts = new Map();
  const named = [];
  for (const name of names) {
    if (/^(Internal|External) User$|^Erased user$/.test(name)) counts.set(name, (counts.get(name) || 0) + 1);
    else named.push(name);
  }
  const plural = (name, n) => (n === 1 ? name : `${n} ${name.replace(/^(\w+) (\w+)$/, (_, a, b) => `${a.toLowerCase()} ${b.toLowerCase()}s`)}`);
  const all = [...named, ...[...counts].map(([name, n]) => plural(name, n))].join(", ");
  return call.participantsComplete ? `${call.participantCount}: ${all}` : `${call.participantCount}, among them ${all}`;
}

/** Sessions seen on the paged list, by call and index, so that opening one needs no search. */
const seenSessions = new Map();

/** Where the meeting's list stood, by call: its filter and how many pages were open, so that
 * coming back from a session shows the same list. */
const listState = new Map();

/** The meeting's other sessions (the user's own are above), filtered by rating, a page at a
 * time from `/calls/{id}/sessions`: one row each, its own page a link away. */
function allSessions(call, userId) {
  const own = new Set(call.sessions.map((s) => s.index));
  const state = listState.get(call.callId) || { rating: "", pages: 1 };
  listState.set(call.callId, state);
  const rows = h("tbody", {});
  const list = h("table", { id: "all-sessions" },
    h("thead", {}, h("tr", {}, ["Session", "Between", "Rating", "Main cause"].map((c) => h("th", { scope: "col" }, c)))), rows);
  const empty = h("p", { hidden: true }, "No other session of the meeting has that rating.");
  const more = h("button", { type: "button", hidden: true }, "More sessions");
  const filter = h("select", { id: "session-rating", "aria-label": "Sessions rated" },
    h("option", { value: "" }, "Any rating"), ...["poor", "good", "unavailable"].map((r) => h("option", { value: r }, RATING[r][1])));
  filter.value = state.rating;
  let cursor;
  const load = async () => {
    const params = { user: userId, limit: 25, cursor };
    if (filter.value) params.rating = filter.value;
    const page = await api(`/calls/${encodeURIComponent(call.callId)}/sessions`, params);
    const others = page.items.filter((s) => !own.has(s.index));
    for (const s of others) seenSessions.set(`${call.callId}#${s.index}`, s);
    rows.append(...others.map((s) => h("tr", { class: "session", "data-rating": s.rating, "data-index": String(s.index) },
      h("td", {}, h("a", { href: sessionHref(userId, call.callId, s.index) }, `Session ${s.index + 1}`)),
      h("td", {}, `${party(s.caller)} → ${party(s.callee)}`),
      h("td", {}, badge(s.rating)),
      h("td", {}, s.mainCause || "—"))));
    cursor = page.nextCursor;
    more.hidden = !cursor;
    empty.hidden = rows.children.length > 0 || Boolean(cursor);
  };
  const open = async (pages) => {
    rows.replaceChildren();
    cursor = undefined;
    await load();
    for (let n = 1; n < pages && cursor; n++) await load();
  };
  filter.addEventListener("change", () => {
    Object.assign(state, { rating: filter.value, pages: 1 });
    open(1).catch(failed);
  });
  more.addEventListener("click", () => {
    state.pages += 1;
    load().catch(failed);
  });
  open(state.pages).catch(failed);
  return h("section", { class: "all-sessions" },
    h("h3", {}, `The meeting's other sessions (${call.sessionCount - own.size} of ${call.sessionCount})`),
    h("p", {}, h("label", { for: "session-rating" }, "Show: "), filter),
    list, empty, more);
}

const sessionHref = (userId, callId, i) => `#/users/${encodeURIComponent(userId)}/calls/${encodeURIComponent(callId)}/sessions/${i + 1}`;

/** The engineer's timeline: each segment, both sides' reports, every stream and its grades. */
function timelineView(segments) {
  return segments.map((segment, i) => h("section", { class: "segment" },
    h("h3", {}, segmentName(i, { timeline: segments })),
    h("div", { class: "row" }, ["caller", "callee"].map((side) => h("div", {},
      h("h4", {}, inWords(side)),
      segment[side].client ? facts(segment[side].client) : null,
      segment[side].networks.map((n) => h("div", {}, h("h5", {}, `Network (${inWords(n.media || "media")})`), facts({ ...n, media: undefined }))),
      segment[side].devices.map((d) => h("div", {}, h("h5", {}, `Devices (${inWords(d.media || "media")})`), facts({ ...d, media: undefined })))))),
    segment.media.map((media) => h("div", {},
      h("h4", {}, media.label ? inWords(media.label) : "Media"),
      media.streams.map((stream) => h("div", { class: "stream" },
        h("h5", {}, value("direction", stream.direction || "unknown")),
        facts({ ...stream, metrics: undefined, direction: undefined }),
        metricsTable(stream.metrics.map((m) => ({ ...m, segment: undefined })))))))));
}

/** Session `index` of a call: from its detail, the paged list already seen, or the pages. */
async function findSession(call, userId, index) {
  const found = call.sessions.find((s) => s.index === index) || seenSessions.get(`${call.callId}#${index}`);
  if (found || index < 0 || index >= call.sessionCount) return found;
  let cursor;
  do {
    const page = await api(`/calls/${encodeURIComponent(call.callId)}/sessions`, { user: userId, limit: 100, cursor });
    const s = page.items.find((item) => item.index === index);
    if (s) return s;
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}

async function sessionPage(userId, callId, number) {
  const call = await api(`/calls/${encodeURIComponent(callId)}`, { user: userId });
  const s = await findSession(call, userId, number - 1);
  if (!s) throw new Error(`This call has no session ${number}.`);
  const panels = [["overview", withLegend(sessionOverview(s)), "Overview"]];
  if (s.timeline) panels.push(["timeline", withLegend(timelineView(s.timeline)), "Timeline"]);
  if (s.advanced) panels.push(["advanced", withLegend(advancedOf(s)), "Advanced"]);
  if (s.debug) panels.push(["debug", debugOf(s), "Debug"]);
  show(
    h("p", {}, h("a", { href: `#/users/${encodeURIComponent(userId)}/calls/${encodeURIComponent(callId)}` }, "← Back to the call")),
    h("h1", {}, `Session ${number} of ${call.sessionCount}: ${party(s.caller)} → ${party(s.callee)} `, badge(s.rating)),
    s.id ? escalateForm(userId, callId, s.id) : null,
    h("dl", { class: "facts" },
      h("dt", {}, "Call"), h("dd", {}, `${inWords(call.type)}, `, at(call.startDateTime)),
      s.startDateTime ? [h("dt", {}, "Started"), h("dd", {}, at(s.startDateTime))] : null,
      h("dt", {}, "Segments"), h("dd", {}, String((s.timeline || []).length || "—"))),
    ...tabs(panels),
  );
}

/** Tabs that follow the ARIA pattern: arrow keys move between them, Enter/Space not needed. */
function tabs(panels) {
  const list = h("div", { role: "tablist", "aria-label": "Call detail" });
  const views = panels.map(([name, content], i) => h("div", { role: "tabpanel", id: `panel-${name}`, "aria-labelledby": `tab-${name}`, hidden: i !== 0, tabindex: "0" }, content));
  const buttons = panels.map(([name, , label], i) => h("button", { type: "button", role: "tab", id: `tab-${name}`, "aria-controls": `panel-${name}`, "aria-selected": String(i === 0), tabindex: i === 0 ? "0" : "-1" }, label));
  const select = (i) => {
    buttons.forEach((b, j) => { b.setAttribute("aria-selected", String(i === j)); b.tabIndex = i === j ? 0 : -1; views[j].hidden = i !== j; });
    buttons[i].focus();
  };
  buttons.forEach((button, i) => {
    button.addEventListener("click", () => select(i));
    button.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight") select((i + 1) % buttons.length);
      else if (e.key === "ArrowLeft") select((i - 1 + buttons.length) % buttons.length);
    });
  });
  list.append(...buttons);
  return [list, ...views];
}

/** A call's facts and its tabs: Overview, and Advanced and Debug where the API gave this role them. */
function callDetail(call, userId) {
  const panels = [["overview", withLegend(overview(call, userId)), "Overview"]];
  // Only what the API returned for this role: a specialist's sessions have neither section.
  const detailed = call.sessions.filter((s) => s.advanced);
  if (detailed.length) panels.push(["advanced", withLegend(perSession(detailed, advancedOf)), "Advanced"]);
  if (detailed.some((s) => s.debug)) panels.push(["debug", perSession(detailed, debugOf), "Debug"]);
  return [
    h("dl", { class: "facts" },
      h("dt", {}, "Duration"), h("dd", {}, duration(call.durationSeconds)),
      h("dt", {}, "Participants"), h("dd", {}, participantsLine(call)),
      h("dt", {}, "Sessions"), h("dd", {}, String(call.sessionCount))),
    ...tabs(panels),
  ];
}

/** A phone call's detail: who, which way, the masked numbers, whether it connected and, for a
 * failed call, why in plain words; for tier 2 the phone network's side (the SIP story, the trunk);
 * for admins what it cost. No sessions: a phone row has none. */
function phoneDetail(call) {
  const fact = (term, detail) => (detail === undefined || detail === null || detail === "" ? [] : [h("dt", {}, term), h("dd", {}, detail)]);
  const sip = call.sip || {};
  const network = [
    ...fact("Final SIP response", sip.code ? `${sip.code}${sip.phrase ? ` ${sip.phrase}` : ""}` : sip.phrase),
    ...fact("Microsoft response code", sip.subReason ? `${sip.subReason}${sip.from ? ` — sent by ${inWords(sip.from)}` : ""}` : undefined),
    ...fact("What it means", sip.explanation),
    ...fact("Trunk (SBC)", call.trunkFqdn),
    ...fact("Media path", call.mediaPathLocation && `${call.mediaPathLocation} datacenter`),
    ...fact("Signalling", call.signalingLocation && `${call.signalingLocation} datacenter`),
    ...fact("Media bypass", call.mediaBypassEnabled === undefined ? undefined : call.mediaBypassEnabled ? "Yes" : "No"),
    ...fact("Call type in Graph", call.graphCallType),
    ...fact("Invited", call.inviteDateTime && at(call.inviteDateTime)),
    ...fact("Failed", call.failureDateTime && at(call.failureDateTime)),
    ...fact("Destination", [call.destinationName, call.destinationContext].filter(Boolean).join(" · ")),
    ...fact("Country (used / tenant)", [call.usageCountryCode, call.tenantCountryCode].filter(Boolean).join(" / ")),
    ...fact("Licence", call.licenseCapability),
    ...fact("Number type", call.inventoryType),
    ...fact("Operator", call.operator),
    ...fact("Duration measured by", call.callDurationSource),
    ...fact("Audio conference", call.conferenceId),
    ...fact("Correlation id (for Microsoft support)", call.correlationId),
    ...fact("Telephony call id", call.telephonyCallId),
  ];
  const money = (v) => `${Number(v).toFixed(2)} ${call.currency || ""}`.trim();
  const cost = [...fact("Charge", call.charge !== undefined ? money(call.charge) : undefined),
    ...fact("Connection charge", call.connectionCharge !== undefined ? money(call.connectionCharge) : undefined)];
  return [
    h("p", { class: "summary", id: "phone-summary" }, call.summary),
    call.mainCause ? h("section", { class: "main-cause", id: "phone-cause" }, h("h2", {}, "Why it did not connect"), h("p", {}, call.mainCause)) : null,
    h("dl", { class: "facts", id: "phone-facts" },
      ...fact("Direction", inWords(call.direction)),
      ...fact("User", party(call.user)),
      ...fact("Caller's number", call.callerNumber),
      ...fact("Callee's number", call.calleeNumber),
      ...fact("Started", at(call.startDateTime)),
      ...fact("Ended", at(call.endDateTime)),
      ...fact("Duration", call.outcome === "failed" ? "— (it did not connect)" : duration(call.durationSeconds)),
      ...fact("Outcome", inWords(call.outcome))),
    h("p", { class: "note" }, "Numbers have their last three digits hidden, for every role."),
    network.length ? h("section", { id: "phone-network" }, h("h2", {}, "Phone network"), h("dl", { class: "facts" }, network)) : null,
    cost.length ? h("section", { id: "phone-cost" }, h("h2", {}, "Cost"), h("dl", { class: "facts" }, cost)) : null,
    call.rating === "unavailable" ? h("details", {}, h("summary", {}, "What the ratings mean"), ratingLegend()) : null,
  ];
}

async function callPage(userId, callId) {
  const call = await api(`/calls/${encodeURIComponent(callId)}`, { user: userId });
  if (isPhone(call)) {
    return show(
      h("p", {}, h("a", { href: `#/users/${encodeURIComponent(userId)}` }, "← Back to the history")),
      h("h1", {}, phoneIcon(call), ` ${inWords(call.type)}, `, at(call.startDateTime), " ", badge(call.rating)),
      escalateForm(userId, callId),
      ...phoneDetail(call),
    );
  }
  show(
    h("p", {}, h("a", { href: `#/users/${encodeURIComponent(userId)}` }, "← Back to the history")),
    h("h1", {}, `${inWords(call.type)}, `, at(call.startDateTime), " ", badge(call.rating)),
    ownAndMeeting(call),
    escalateForm(userId, callId),
    ...callDetail(call, userId),
  );
}

// ---- escalations -------------------------------------------------------------------------

const STATES = [["open", "Open"], ["claimed", "Claimed"], ["resolved", "Resolved"]];

function stateBadge(state) {
  return h("span", { class: `badge state-${state}` }, words(state));
}

/** The "Escalate" action: a note (and a ticket) for tier 2 about this call, or one session of it. */
function escalateForm(userId, callId, sessionId) {
  const note = h("textarea", { id: "escalate-note", required: true, maxlength: "2000", rows: "4" });
  const ticket = h("input", { id: "escalate-ticket", type: "text", maxlength: "100", autocomplete: "off" });
  const problem = h("p", { class: "error", role: "alert" });
  const toggle = h("button", { type: "button", id: "escalate", "aria-expanded": "false", "aria-controls": "escalate-form" }, sessionId ? "Escalate this session" : "Escalate");
  const send = async (event) => {
    event.preventDefault();
    try {
      const escalation = await post(`/calls/${encodeURIComponent(callId)}/escalations`, { user: userId }, { note: note.value, ticket: ticket.value.trim() || undefined, sessionId });
      say("Escalated to tier 2");
      location.hash = `#/escalation/${encodeURIComponent(escalation.id)}`;
    } catch (error) {
      if (error instanceof SignedOut) return render();
      problem.textContent = error.message;
    }
  };
  const form = h("form", { id: "escalate-form", class: "escalate", hidden: true, onsubmit: send },
    h("label", { for: "escalate-note" }, "What should tier 2 know?"), note,
    h("label", { for: "escalate-ticket" }, "Ticket (optional)"), ticket,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Send to tier 2"),
      h("button", { type: "button", onclick: () => { form.hidden = true; toggle.setAttribute("aria-expanded", "false"); toggle.focus(); } }, "Cancel")),
    problem);
  toggle.addEventListener("click", () => {
    form.hidden = !form.hidden;
    toggle.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) note.focus();
  });
  return h("div", { class: "escalate-box" }, toggle, form);
}

/** Tier 2's queue of one state, or a specialist's own escalations. */
async function escalationsPage(state) {
  const engineer = can("support-engineer", "admin");
  const params = engineer ? { state: state || "open" } : { mine: "true" };
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Older escalations");
  let cursor;
  const load = async () => {
    const page = await api("/escalations", { ...params, limit: 50, cursor });
    for (const e of page.items) {
      body.append(h("tr", { "data-escalation": e.id },
        h("td", {}, h("a", { href: `#/escalation/${encodeURIComponent(e.id)}` }, at(e.openedAt))),
        h("td", {}, stateBadge(e.state)),
        h("td", {}, e.call.userName || e.call.userId),
        h("td", {}, `${inWords(e.call.type)}, `, at(e.call.startDateTime), " ", badge(e.call.rating)),
        h("td", {}, e.ticket || "—"),
        h("td", {}, e.openedBy.label),
        h("td", {}, e.claimedBy ? e.claimedBy.label : "—"),
        h("td", { class: "excerpt" }, e.excerpt ?? "(removed)")));
    }
    cursor = page.nextCursor;
    more.hidden = !cursor;
    say(`${body.children.length} escalations shown`);
  };
  more.addEventListener("click", () => load().catch(failed));
  await load();
  const current = params.state;
  const filters = engineer
    ? h("nav", { "aria-label": "Escalation state", class: "row" }, STATES.map(([name, label]) => h("a", { href: `#/escalations/${name}`, "aria-current": name === current ? "page" : false }, label)))
    : null;
  show(
    h("h1", {}, engineer ? `Escalations: ${words(current)}` : "My escalations"),
    filters,
    h("table", { id: "escalations" }, h("caption", { class: "skip" }, "Escalations, newest first"),
      h("thead", {}, h("tr", {}, ["Opened", "State", "User", "Call", "Ticket", "Opened by", "Claimed by", "Note"].map((t) => h("th", { scope: "col" }, t)))), body),
    more,
  );
  if (!body.children.length) say("No escalations");
}

/** One escalation: the call's detail in the reader's own role, the notes beside it, and the actions. */
async function escalationPage(id) {
  const e = await api(`/escalations/${encodeURIComponent(id)}`);
  const engineer = can("support-engineer", "admin");
  let call = null;
  let missing = "";
  try {
    call = await api(`/calls/${encodeURIComponent(e.call.callId)}`, { user: e.call.userId });
  } catch (error) {
    if (error instanceof SignedOut) throw error;
    missing = error.message;
  }
  const change = (action) => async () => {
    try {
      await post(`/escalations/${encodeURIComponent(id)}/${action}`);
      say(action === "claim" ? "Claimed" : "Resolved");
      render();
    } catch (error) { failed(error); }
  };
  const note = h("textarea", { id: "note-text", required: true, maxlength: "2000", rows: "3" });
  const problem = h("p", { class: "error", role: "alert" });
  const addNote = async (event) => {
    event.preventDefault();
    try {
      await post(`/escalations/${encodeURIComponent(id)}/notes`, {}, { note: note.value });
      say("Note added");
      render();
    } catch (error) {
      if (error instanceof SignedOut) return render();
      problem.textContent = error.message;
    }
  };
  const session = e.call.sessionId && call ? call.sessions.findIndex((s) => s.id === e.call.sessionId) : -1;
  const notes = h("aside", { class: "notes", "aria-labelledby": "notes-title" },
    h("h2", { id: "notes-title" }, "Notes"),
    h("ol", {}, e.notes.map((n) => h("li", {},
      h("p", { class: "meta" }, h("strong", {}, n.author.label), " · ", at(n.at)),
      n.removed ? h("p", { class: "removed" }, "Removed: a person it concerned was erased.") : h("p", { class: "note-text" }, n.text)))),
    h("form", { onsubmit: addNote },
      h("label", { for: "note-text" }, "Add a note"), note,
      h("button", { type: "submit" }, "Add note"), problem));
  show(
    h("p", {}, h("a", { href: "#/escalations" }, engineer ? "← Queue" : "← My escalations")),
    h("h1", {}, `Escalation: ${e.call.userName || e.call.userId}, ${inWords(e.call.type)} of `, at(e.call.startDateTime), " ", stateBadge(e.state)),
    h("dl", { class: "facts" },
      h("dt", {}, "Opened"), h("dd", {}, at(e.openedAt), ` by ${e.openedBy.label}`),
      h("dt", {}, "Ticket"), h("dd", {}, e.ticket || "—"),
      e.claimedBy ? [h("dt", {}, "Claimed"), h("dd", {}, at(e.claimedAt), ` by ${e.claimedBy.label}`)] : null,
      e.resolvedBy ? [h("dt", {}, "Resolved"), h("dd", {}, at(e.resolvedAt), ` by ${e.resolvedBy.label}`)] : null,
      session >= 0 ? [h("dt", {}, "Session"), h("dd", {}, h("a", { href: sessionHref(e.call.userId, e.call.callId, session) }, `Session ${session + 1}`))] : null),
    engineer ? h("div", { class: "row actions" },
      e.state === "open" ? h("button", { type: "button", class: "primary", id: "claim", onclick: change("claim") }, "Claim") : null,
      e.state !== "resolved" ? h("button", { type: "button", id: "resolve", onclick: change("resolve") }, "Resolve") : null) : null,
    h("div", { class: "split" },
      h("section", { class: "call", "aria-labelledby": "call-title" }, h("h2", { id: "call-title" }, "The call"),
        call ? callDetail(call, e.call.userId) : h("p", {}, `The call cannot be shown: ${missing}`)),
      notes),
  );
}

// ---- routing -----------------------------------------------------------------------------

function failed(error) {
  if (error instanceof SignedOut) return render();
  say("");
  show(h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, error.message), h("p", {}, h("a", { href: "#/" }, "Back to search")));
}

/** The signed-in person's role as `GET /me` answers it, once per token. */
let me = { token: null, role: null, roleName: null };

/** Asks `GET /me` for the token's role (it knows the directory roles of `wids` as well as the
 * app roles); without an answer, the role the token's own claims name. */
async function whoAmI() {
  if (me.token === token()) return me;
  let answer = {};
  try {
    answer = await api("/me");
  } catch (error) {
    if (error instanceof SignedOut) throw error;
  }
  const fallback = ROLES.findLast(([role]) => hasRole(role)) || [];
  me = { token: token(), role: answer.role || fallback[0] || null, roleName: answer.roleName || fallback[1] || null };
  return me;
}

/** Whether the signed-in role is one of `roles` (only the API's answers decide what is shown). */
const can = (...roles) => roles.includes(me.role);

async function render() {
  say("");
  if (!token()) return signInPage();
  try {
    await whoAmI();
  } catch (error) {
    return failed(error);
  }
  const person = claims(token());
  document.getElementById("who").textContent = `${person.name || person.preferred_username || person.sub || "signed in"}${me.roleName ? ` (${me.roleName})` : ""}`;
  document.getElementById("sign-out").hidden = false;
  const queue = document.getElementById("queue-link");
  queue.textContent = can("support-engineer", "admin") ? "Escalations" : "My escalations";
  queue.hidden = !me.role;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  adminLinks(parts, can("admin"));
  try {
    if (parts[0] === "users" && parts.length === 1) await usersPage();
    else if (parts[0] === "users" && parts.length === 2) await historyPage(parts[1]);
    else if (parts[0] === "users" && parts[2] === "calls" && parts.length === 4) await callPage(parts[1], parts[3]);
    else if (parts[0] === "users" && parts[2] === "calls" && parts[4] === "sessions" && parts.length === 6) await sessionPage(parts[1], parts[3], Number(parts[5]));
    else if (parts[0] === "escalations" && parts.length <= 2) await escalationsPage(parts[1]);
    else if (parts[0] === "escalation" && parts.length === 2) await escalationPage(parts[1]);
    else if (!(await adminRoute(parts, can("admin")))) homePage();
  } catch (error) {
    failed(error);
  }
}

async function start() {
  document.getElementById("sign-out").addEventListener("click", signOut);
  config = await fetch("/console/config.json").then((r) => r.json());
  const query = new URLSearchParams(location.search);
  if (config.signIn === "oidc" && query.has("code")) {
    try { await oidcFinish(query); } catch (error) { return failed(error); }
  }
  window.addEventListener("hashchange", render);
  render();
}

start();
