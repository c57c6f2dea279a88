// The web console in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// against the local stack with the sample tenant; scripts/browser-test.sh starts and stops it.
// What the page shows is checked against what the API answers the same role.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { GATEWAY, ARTIFACTS, ADA, browser, assertAccessible, assertReadable, api, signIn, openHistory, poorCall, openCall } from "./browser.mjs";

test("a specialist finds the user, opens a poor call and sees why, with names masked and no Advanced tab", async () => {
  const call = await poorCall();
  const page = await signIn("Support specialist");
  await openHistory(page, "ada");
  assert.match(await page.locator("h1").textContent(), /Ada Lovelace/);
  assert.ok(!(await page.locator("#history thead").textContent()).includes("Buildings"), "no buildings on a specialist's rows");
  await openCall(page, call.callId);

  const tabs = await page.getByRole("tab").allTextContents();
  assert.deepEqual(tabs, ["Overview"], "no Advanced or Debug tab for a specialist");
  const text = await page.locator("main").textContent();
  const engineerView = await api("support-engineer", `/calls/${call.callId}?user=${ADA}`);
  const specialistView = await api("support-specialist", `/calls/${call.callId}?user=${ADA}`);
  const others = engineerView.participants.map((p) => p.displayName).filter((n) => n && n !== "Ada Lovelace");
  for (const name of others) assert.ok(!text.includes(name), `${name} is masked`);
  assert.match(text, /Internal User|External User/);
  assert.match(text, /Main cause: /);
  for (const session of specialistView.sessions) assert.ok(text.includes(session.mainCause), "each session's main cause is spelled out");
  await assertGradeMarks(page, specialistView);
  await assertAccessible(page, "a call's detail (specialist)");
  await page.screenshot({ path: `${ARTIFACTS}/specialist-detail.png`, fullPage: true });
});

/** Every red and yellow metric of the API's answer is a marked cell (in `panel`), by colour,
 * icon and word, with the legend beside them. */
async function assertGradeMarks(page, view, panel = "#panel-overview") {
  const grades = view.sessions.flatMap((s) => s.metrics.map((m) => m.grade));
  assert.match(await page.locator(`${panel} dl.legend`).first().textContent(), /Red.*likely the main cause.*Yellow.*Outside the normal range/s, `the legend in ${panel}`);
  for (const grade of ["red", "yellow"]) {
    const cells = page.locator(`${panel} td.grade-${grade}`);
    assert.equal(await cells.count(), grades.filter((g) => g === grade).length, `${grade} cells`);
    for (const cell of await cells.all()) {
      const label = grade === "red" ? "▲ Red" : "● Yellow";
      assert.equal((await cell.textContent()).trim(), label);
      const background = await cell.evaluate((td) => getComputedStyle(td).backgroundColor);
      assert.notEqual(background, "rgba(0, 0, 0, 0)", `a ${grade} cell is coloured`);
    }
  }
  assert.ok(grades.includes("red") || grades.includes("yellow"), "a poor call has a red or yellow metric");
}

test("an engineer sees Advanced and Debug with device, IP, SSID and building", async () => {
  const call = await poorCall();
  const page = await signIn("Support engineer");
  await openHistory(page, "ada lovelace");
  // The history row names the building of each end wherever the building file maps its subnet.
  const rows = (await api("support-engineer", `/users/${ADA}/calls?limit=50`)).items;
  const mapped = rows.find((r) => r.userBuilding);
  assert.ok(mapped, "the sample maps Ada's subnet to a building");
  assert.match(await page.locator(`#history tr[data-call="${mapped.callId}"]`).textContent(), new RegExp(`User: ${mapped.userBuilding.buildingName}`));
  await page.screenshot({ path: `${ARTIFACTS}/engineer-history.png`, fullPage: true });
  await openCall(page, call.callId);
  const view = await api("support-engineer", `/calls/${call.callId}?user=${ADA}`);
  await assertGradeMarks(page, view);
  await assertGradeMarks(page, view, "#panel-advanced");

  assert.deepEqual(await page.getByRole("tab").allTextContents(), ["Overview", "Advanced", "Debug"]);
  // Keyboard: from Overview, the right arrow moves to Advanced.
  await page.getByRole("tab", { name: "Overview" }).focus();
  await page.keyboard.press("ArrowRight");
  const advanced = await page.locator("#panel-advanced").textContent();
  const side = view.sessions.map((s) => s.advanced.caller).find((a) => a.ipAddress && a.building) || view.sessions[0].advanced.caller;
  for (const value of [side.captureDevice, side.ipAddress, side.building?.networkName, side.building?.buildingName]) {
    if (value) assert.ok(advanced.includes(String(value)), `Advanced shows ${value}`);
  }
  assert.ok(side.ipAddress && side.captureDevice, "the sample sessions carry a device and an IP");
  assert.ok(view.sessions.some((s) => s.advanced.caller.building || s.advanced.callee.building), "the sample maps a building");
  await page.getByRole("tab", { name: "Debug" }).click();
  const debug = await page.locator("#panel-debug").textContent();
  const ssid = view.sessions.flatMap((s) => [s.debug.caller.ssid, s.debug.callee.ssid]).find(Boolean);
  assert.ok(ssid, "the sample sessions carry an SSID");
  assert.ok(debug.includes(ssid), `Debug shows ${ssid}`);
  await assertAccessible(page, "a call's Debug tab");
  await page.getByRole("tab", { name: "Advanced" }).click();
  await assertAccessible(page, "a call's Advanced tab");
  await page.screenshot({ path: `${ARTIFACTS}/engineer-detail.png`, fullPage: true });
});

test("a session opens on its own page: the engineer's timeline, marks as on the overview, words a person reads", async () => {
  const call = await poorCall();
  const view = await api("support-engineer", `/calls/${call.callId}?user=${ADA}`);
  const index = view.sessions.findIndex((s) => s.rating === "poor");
  const page = await signIn("Support engineer");
  await openHistory(page, "ada");
  await openCall(page, call.callId);
  assert.match(await page.locator("main").textContent(), new RegExp(`Participants${view.participantCount}: `), "the participant count");
  await page.getByRole("link", { name: new RegExp(`^Session ${index + 1}: `) }).click();
  await page.getByRole("tab", { name: "Timeline" }).waitFor();
  assert.match(page.url(), new RegExp(`/sessions/${index + 1}$`), "the session view is linkable");
  assert.deepEqual(await page.getByRole("tab").allTextContents(), ["Overview", "Timeline", "Advanced", "Debug"]);

  await page.getByRole("tab", { name: "Timeline" }).click();
  const timeline = page.locator("#panel-timeline");
  const session = view.sessions[index];
  assert.equal(await timeline.locator("section.segment").count(), session.timeline.length, "one section per segment");
  const graded = session.timeline.flatMap((g) => g.media.flatMap((m) => m.streams.flatMap((st) => st.metrics.map((x) => x.grade))));
  for (const grade of ["red", "yellow", "normal"]) {
    assert.equal(await timeline.locator(`td.grade-${grade}`).count(), graded.filter((g) => g === grade).length, `${grade} marks in the timeline`);
  }
  const text = await timeline.textContent();
  const codecs = session.timeline.flatMap((g) => g.media.flatMap((m) => m.streams.map((st) => st.codec))).filter(Boolean);
  const bare = (t) => t.toLowerCase().replace(/[^a-z0-9]/g, "");
  for (const codec of codecs) assert.ok(bare(text).includes(bare(codec)), `the codec ${codec} is shown, by its name ("H.264" for h264)`);
  await assertAccessible(page, "a session's timeline");
  await page.screenshot({ path: `${ARTIFACTS}/engineer-session-timeline.png`, fullPage: true });

  await page.getByRole("tab", { name: "Advanced" }).click();
  const advanced = await page.locator("#panel-advanced").textContent();
  assert.match(advanced, /IP address/);
  for (const raw of ["Ip address", "frequency50GHz", "frequency24GHz"]) assert.ok(!advanced.includes(raw), `no raw "${raw}" in Advanced`);
  assert.ok(!/\b(true|false)\b/.test(advanced), "yes and no, not true and false");
  assert.match(advanced, /Wired|Wi-Fi/);
  await assertAccessible(page, "a session's Advanced tab");

  const specialist = await signIn("Support specialist");
  await specialist.goto(`${GATEWAY}/console/#/users/${ADA}/calls/${encodeURIComponent(call.callId)}/sessions/${index + 1}`);
  await specialist.getByRole("tab", { name: "Overview" }).waitFor();
  assert.deepEqual(await specialist.getByRole("tab").allTextContents(), ["Overview"], "tier 1 keeps its view");
  await assertAccessible(specialist, "a session (specialist)");
  await specialist.screenshot({ path: `${ARTIFACTS}/specialist-session.png`, fullPage: true });
});

test("a town hall shows the user's own rating and sessions beside the meeting's, and pages the rest by rating", async () => {
  const history = await api("support-specialist", `/users/${ADA}/calls?limit=100`);
  const meeting = history.items.find((c) => c.callId.startsWith("7041ba11-") /* tools/dev/src/tenant: TOWN_HALL_ID_PREFIX */);
  assert.ok(meeting, "the sample tenant has a town hall");
  assert.deepEqual([meeting.rating, meeting.callRating], ["good", "poor"], "it went well for Ada, not for everyone");
  const detail = await api("support-specialist", `/calls/${meeting.callId}?user=${ADA}`);
  assert.equal(detail.sessionsIncluded, "own");
  const page = await signIn("Support specialist");
  await openHistory(page, "ada");
  assert.match(await page.locator(`#history tr[data-call="${meeting.callId}"]`).textContent(), /Good · the meeting: Poor/);
  await openCall(page, meeting.callId);
  const poor = detail.sessionRatings.poor;
  assert.match(await page.locator("main").textContent(), new RegExp(`Good for Ada Lovelace · the meeting had ${poor} poor sessions? of ${detail.sessionCount}`));
  assert.match(await page.locator("main").textContent(), /Sessions of Ada Lovelace/);
  assert.match(await page.locator("main").textContent(), new RegExp(`Participants${detail.participantCount}: Ada Lovelace, \\d+ internal users`), "the others counted, not listed");
  const own = await page.locator("#panel-overview > section.session").evaluateAll((sections) => sections.map((s) => Number(s.dataset.index)));
  assert.deepEqual(own, detail.sessions.map((s) => s.index), "Ada's own sessions first, at their places in the call");

  // The meeting's other sessions, a row each and a page at a time; the filter keeps the poor ones.
  const ownIndexes = new Set(detail.sessions.map((s) => s.index));
  const firstPage = await api("support-specialist", `/calls/${meeting.callId}/sessions?user=${ADA}&limit=25`);
  const list = page.locator("#all-sessions tr.session");
  await list.first().waitFor();
  const listed = await list.evaluateAll((rows) => rows.map((r) => Number(r.dataset.index)));
  assert.deepEqual(listed, firstPage.items.map((s) => s.index).filter((i) => !ownIndexes.has(i)), "a first page, Ada's own sessions not again");
  await page.selectOption("#session-rating", "poor");
  const allPoor = () => {
    const rows = [...document.querySelectorAll("#all-sessions tr.session")];
    return rows.length > 0 && rows.every((r) => r.dataset.rating === "poor");
  };
  await page.waitForFunction(allPoor);
  assert.equal(await list.count(), Math.min(poor, 25), "the poor sessions of the meeting (none of them Ada's)");
  const causes = await list.evaluateAll((rows) => rows.map((r) => r.cells[3].textContent));
  assert.ok(causes.every((c) => c.length > 10 && c !== "—"), `each poor row says its main cause: ${causes}`);
  await assertAccessible(page, "a town hall (specialist)");
  await assertReadable(page, "a town hall");
  await page.screenshot({ path: `${ARTIFACTS}/meeting.png`, fullPage: true });

  // A session from the list opens on its own page; back, the list is as it was left.
  const first = list.first();
  const index = Number(await first.getAttribute("data-index"));
  await first.getByRole("link").click();
  await page.locator("h1", { hasText: `Session ${index + 1} of` }).waitFor();
  assert.match(page.url(), new RegExp(`/sessions/${index + 1}$`));
  assert.match(await page.locator("h1").textContent(), new RegExp(`^Session ${index + 1} of ${detail.sessionCount}: `));
  await page.goBack();
  await page.waitForFunction(allPoor);
  assert.equal(await page.locator("#session-rating").inputValue(), "poor", "the filter is kept");
});

test("the CSV export holds exactly the rows on the page, in the role's view", async () => {
  const page = await signIn("Support specialist");
  await openHistory(page, "ada");
  // What the filters keep is what is exported: here, the poor calls (fewer than a page).
  await page.selectOption("#filter-rating", "poor");
  await page.waitForFunction(() => [...document.querySelectorAll("#history tbody tr .badge")].every((b) => b.classList.contains("poor")));
  const rows = await page.locator("#history tbody tr").evaluateAll((trs) =>
    trs.map((tr) => ({ callId: tr.dataset.call, counterpart: tr.cells[2].textContent, rating: tr.cells[5].querySelector(".badge").textContent.replace(/^\W+/, "").toLowerCase(), issues: tr.cells[6].dataset.codes, said: tr.cells[6].textContent })),
  );
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
  const csv = (await readFile(await download.path(), "utf8")).trim().split("\n");
  assert.equal(csv[0], "startDateTime,endDateTime,type,counterpart,durationSeconds,participantCount,rating,callRating,issueCodes,callId,direction,outcome");
  const records = csv.slice(1).map((line) => line.split(","));
  assert.equal(records.length, rows.length, "one CSV row per row on the page");
  records.forEach((record, i) => {
    assert.equal(record[9], rows[i].callId);
    if (record[3] === "") assert.match(rows[i].counterpart, /^(Meeting · \d+ participants|—)$/, "no counterpart: the user's own meeting");
    else assert.equal(record[3].replace(/^'/, ""), rows[i].counterpart.replace(/^(Organized by |To |From |With )/, ""), "the counterpart as the page shows it");
    assert.equal(record[6], rows[i].rating);
    assert.equal(record[8], rows[i].issues);
    assert.ok(!/_/.test(rows[i].said), `issues read as sentences on the page, codes stay in the CSV: ${rows[i].said}`);
  });
  const people = (await api("support-engineer", `/users/${ADA}/calls?limit=100`)).items.map((c) => c.counterpart).filter((p) => p && p.id !== ADA && ["user", "guest"].includes(p.kind));
  const names = people.map((p) => p.displayName).filter(Boolean);
  assert.ok(names.length > 0, "Ada's calls have named counterparts to mask");
  for (const name of names) assert.ok(!csv.join("\n").includes(name), `the specialist's CSV masks ${name}`);
});

/** Every call of `user` in the window, as `role` sees it (the console loads them all too). */
async function wholeHistory(role, user) {
  const calls = [];
  let cursor = "";
  do {
    const page = await api(role, `/users/${user}/calls?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    calls.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return calls;
}

/** The calendar day of `iso` where the browser and this process run (the same machine). */
const localDay = (iso) => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

test("search finds John Smith among 5,000 users and 300 Johns, every word matching", async () => {
  const page = await signIn("Support specialist");
  assert.match(await page.locator("#who").textContent(), /\(Support specialist\)$/, "the header names the role, not its id");
  const search = page.getByRole("combobox", { name: "Find a user" });
  await search.fill("john smith");
  await page.getByRole("option").first().waitFor();
  const options = await page.getByRole("option").allInnerTexts();
  assert.equal(options.length, 1, `only John Smith matches both words: ${options}`);
  assert.match(options[0], /^John Smith/);
  await page.waitForFunction(() => document.getElementById("status").textContent === "1 suggestion");
  await assertAccessible(page, "search suggestions");
  await page.screenshot({ path: `${ARTIFACTS}/search.png` });
  await search.fill("john");
  await page.waitForFunction(() => document.getElementById("status").textContent === "8 suggestions");
  assert.ok((await page.getByRole("option").allInnerTexts()).every((o) => /\bJohn\b/.test(o)), "a full page of Johns");
  await page.context().close();
});

test("a history you can work: the 30 days at a glance, filters, sorting and the participant count, as the API says", async () => {
  const calls = await wholeHistory("support-engineer", ADA);
  const page = await signIn("Support engineer");
  assert.match(await page.locator("#who").textContent(), /\(Support engineer\)$/);
  await openHistory(page, "ada");
  const position = page.locator("#history-position");
  const of = async () => Number(/of (\d+)/.exec(await position.textContent())?.[1] ?? 0);
  assert.equal(await of(), calls.length, "the whole window is loaded");
  await assertReadable(page, "the history");
  assert.deepEqual(await page.locator("#history thead th").allInnerTexts(), ["Date", "Type", "Counterpart", "Participants", "Duration", "Rating", "Issues", "Buildings"]);

  // The charts: their tables hold the history's numbers, per day and per hour, per rating.
  for (const [id, bucket] of [["chart-days", (c) => localDay(c.startDateTime)], ["chart-hours", (c) => String(new Date(c.startDateTime).getHours()).padStart(2, "0")]]) {
    const chart = page.locator(`svg#${id}[role=img]`);
    assert.match(await chart.getAttribute("aria-label"), new RegExp(`${calls.length} calls?|busiest`), `${id} is summarized`);
    const table = await page.locator(`#${id}-data tbody tr`).evaluateAll((rows) => rows.map((r) => [r.dataset.bucket, Object.fromEntries([...r.querySelectorAll("td[data-rating]")].map((td) => [td.dataset.rating, Number(td.textContent)]))]));
    for (const rating of ["good", "poor", "unavailable"]) {
      const expected = {};
      for (const c of calls.filter((c) => c.rating === rating)) expected[bucket(c)] = (expected[bucket(c)] || 0) + 1;
      const shown = Object.fromEntries(table.map(([b, n]) => [b, n[rating]]).filter(([, n]) => n));
      assert.deepEqual(shown, expected, `${id}: ${rating} calls per bucket`);
    }
    // The bars drawn are the table's numbers.
    const bars = await page.locator(`svg#${id} rect`).evaluateAll((rects) => rects.map((r) => [r.dataset.bucket, r.dataset.rating, Number(r.dataset.count), Number(r.getAttribute("height"))]));
    assert.ok(bars.length > 0, `${id} draws bars`);
    for (const [b, rating, n, height] of bars) {
      assert.equal(n, table.find(([key]) => key === b)[1][rating], `${id}: the bar of ${b}, ${rating}`);
      assert.ok(height > 0, "a bar has a height");
    }
    assert.equal(bars.reduce((sum, [, , n]) => sum + n, 0), calls.length, `${id}: every call drawn once`);
  }
  await page.screenshot({ path: `${ARTIFACTS}/history.png`, fullPage: true });
  await page.locator("#chart-days").locator("xpath=..").locator("summary").click();
  assert.ok(await page.locator("#chart-days-data").isVisible(), "the numbers open on demand");
  await assertAccessible(page, "the history with a chart's numbers open");

  // Filters: rating, type, a day; each keeps exactly the API's calls that match.
  const shownIds = () => page.locator("#history tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.call));
  const expectRows = async (keep, what) => {
    const expected = calls.filter(keep);
    await page.waitForFunction((n) => (n ? document.querySelectorAll("#history tbody tr").length === Math.min(n, 50) : /No call matches/.test(document.getElementById("history-position").textContent)), expected.length);
    assert.deepEqual(new Set(await shownIds()), new Set(expected.slice(0, 50).map((c) => c.callId)), what);
  };
  await page.selectOption("#filter-rating", "poor");
  await expectRows((c) => c.rating === "poor", "the poor calls");
  await assertAccessible(page, "the history filtered");
  await page.selectOption("#filter-rating", "");
  await page.selectOption("#filter-type", "groupCall");
  await expectRows((c) => c.type === "groupCall", "the meetings");
  await page.selectOption("#filter-type", "");
  const day = localDay(calls[calls.length - 1].startDateTime);
  await page.fill("#filter-from", day);
  await page.fill("#filter-to", day);
  await page.locator("#filter-to").dispatchEvent("change");
  await expectRows((c) => localDay(c.startDateTime) === day, `the calls of ${day}`);
  await page.fill("#filter-from", "");
  await page.locator("#filter-from").dispatchEvent("change");
  await page.fill("#filter-to", "");
  await page.locator("#filter-to").dispatchEvent("change");
  await expectRows(() => true, "every call again");

  // Sorting: by duration, longest first, then shortest; by participants; the count as the API's.
  const byId = new Map(calls.map((c) => [c.callId, c]));
  await page.getByRole("button", { name: "Duration" }).click();
  let durations = (await shownIds()).map((id) => byId.get(id).durationSeconds);
  assert.deepEqual(durations, [...durations].sort((a, b) => b - a), "longest first");
  await page.getByRole("button", { name: "Duration" }).click();
  durations = (await shownIds()).map((id) => byId.get(id).durationSeconds);
  assert.deepEqual(durations, [...durations].sort((a, b) => a - b), "shortest first");
  assert.equal(await page.locator("th[aria-sort]").innerText(), "Duration");
  assert.equal(await page.locator("th[aria-sort]").getAttribute("aria-sort"), "ascending");
  await page.getByRole("button", { name: "Participants" }).click();
  const rows = await page.locator("#history tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.dataset.call, Number(tr.cells[3].textContent)]));
  for (const [id, n] of rows) assert.equal(n, byId.get(id).participantCount, "the participant count");
  assert.deepEqual(rows.map(([, n]) => n), rows.map(([, n]) => n).sort((a, b) => b - a), "most participants first");
  // The video call's counterpart sits in the lab annex, whose building row names no city.
  const annex = calls.find((c) => c.callId.startsWith("5a3b1e01-") && c.callId.endsWith("000000000001"));
  const annexRow = await page.locator(`#history tr[data-call="${annex.callId}"]`).innerText();
  assert.match(annexRow, annex.counterpartBuilding ? new RegExp(`counterpart: ${annex.counterpartBuilding.buildingName}${annex.counterpartBuilding.city ? "," : "$"}`, "m") : /counterpart: not mapped/, "the annex by its name alone");
  await assertReadable(page, "the sorted history");
  await page.context().close();
});

test("a poor call reads right: units, labels, segments, worst first, the legend and where it likely lies, on Overview and Advanced", async () => {
  const calls = await wholeHistory("support-engineer", ADA);
  const video = calls.find((c) => c.callId.startsWith("5a3b1e01-") && c.callId.endsWith("000000000001") /* tools/dev/src/tenant: video_call */);
  assert.ok(video, "the sample tenant has Ada's video call");
  assert.equal(video.rating, "poor", "its video froze");
  const view = await api("support-engineer", `/calls/${video.callId}?user=${ADA}`);
  const page = await signIn("Support engineer");
  await page.goto(`${GATEWAY}/console#/users/${ADA}`);
  await page.locator("#history tbody tr").first().waitFor();
  const pasted = await page.locator("h1").textContent();
  await openCall(page, video.callId);
  await assertReadable(page, "a video call's Overview");
  const rates = await page.locator("#panel-overview tr[data-metric=averageVideoFrameRate]").evaluateAll((rows) => rows.map((r) => [r.cells[0].textContent, r.cells[2].textContent, r.cells[4].textContent, r.cells[5].textContent]));
  assert.ok(rates.length >= 2, "a frame rate per segment");
  for (const [name, segment, value, threshold] of rates) {
    assert.equal(name, "Average frame rate");
    assert.match(segment, /^Segment [12], /, "labelled by segment and time");
    assert.match(value, /^\d+(\.\d)? fps$/);
    assert.match(threshold, /^< \d+ fps$/);
  }
  assert.ok(rates.some(([, s, v]) => s.startsWith("Segment 2") && v === "4.2 fps"), `the frozen second segment: ${rates}`);
  const grades = await page.locator("#panel-overview table.metrics").first().locator("tbody td:last-child").allInnerTexts();
  const rank = (g) => (/Red/.test(g) ? 0 : /Yellow/.test(g) ? 1 : 2);
  assert.deepEqual(grades.map(rank), grades.map(rank).sort(), "red, then yellow, then normal");
  await assertGradeMarks(page, view);
  await page.getByRole("tab", { name: "Advanced" }).click();
  await assertGradeMarks(page, view, "#panel-advanced");
  await assertReadable(page, "a video call's Advanced tab");
  await assertAccessible(page, "a video call's Advanced tab");
  await page.context().close();

  // The newest poor audio call: its main cause and the end it likely lies at, as the role sees it.
  const call = await poorCall();
  const detail = await api("support-engineer", `/calls/${call.callId}?user=${ADA}`);
  const shots = await signIn("Support engineer");
  await openHistory(shots, "ada");
  await openCall(shots, call.callId);
  const likely = detail.sessions.find((s) => s.likelyAt);
  if (likely) {
    const end = likely.likelyAt === "both" ? "both ends" : `${likely[likely.likelyAt].displayName || likely[likely.likelyAt].phone}'s end`;
    assert.match(await shots.locator("#panel-overview .cause").first().innerText(), new RegExp(`likely at ${end}`));
  }
  assert.match(await shots.locator("#panel-overview").innerText(), /Significant: likely the main cause/, "the legend in the seed's words");
  await assertReadable(shots, "a poor call's Overview");
  await shots.screenshot({ path: `${ARTIFACTS}/call-overview.png`, fullPage: true });
  await shots.getByRole("tab", { name: "Advanced" }).click();
  await assertReadable(shots, "a poor call's Advanced tab");
  await shots.screenshot({ path: `${ARTIFACTS}/call-advanced.png`, fullPage: true });
  // Times in the agent's zone, UTC on hover.
  assert.match(await shots.locator("h1 time").getAttribute("title"), / UTC$/);
  await shots.context().close();
  // Opened from a pasted link, with no search before it, the history names its user.
  assert.match(pasted, /Calls of Ada Lovelace/, "a pasted link names the user (the history's `user`)");
});

test("the console's side of paging: a history at the 500 cap pages by 50 and says so, titled by the answer's user; search asks on until a page is full", async () => {
  // The API stands in for itself here (the browser's routing), so the console's own paging is
  // tested whatever the sample tenant holds: 500 calls, and a search answered a few at a time.
  const page = await signIn("Support specialist");
  const now = Date.now();
  const calls = Array.from({ length: 500 }, (_, i) => {
    const start = new Date(now - (i + 1) * 80 * 60e3).toISOString();
    return { callId: `cap-${String(i).padStart(3, "0")}`, type: i % 3 ? "peerToPeer" : "groupCall", startDateTime: start, endDateTime: start, durationSeconds: 60 + i, participantCount: i % 3 ? 2 : 4, counterpart: { kind: "user", displayName: `Person ${i}` }, rating: i % 5 ? "good" : "poor", callRating: i % 5 ? "good" : "poor", issueCodes: i % 5 ? [] : ["audio_network_poor"] };
  });
  await page.route((url) => url.pathname === "/users/cap-user/calls", (route) => {
    const url = new URL(route.request().url());
    const from = Number(url.searchParams.get("cursor") || 0);
    const limit = Number(url.searchParams.get("limit"));
    const items = calls.slice(from, from + limit);
    const next = from + limit < calls.length ? String(from + limit) : undefined;
    return route.fulfill({ json: { user: { id: "cap-user", displayName: "Casey Cap", userPrincipalName: "casey@contoso.com" }, items, nextCursor: next } });
  });
  await page.goto(`${GATEWAY}/console#/users/cap-user`);
  await page.locator("#history tbody tr").first().waitFor();
  assert.match(await page.locator("h1").textContent(), /^Calls of Casey Cap/, "titled with the answer's user");
  assert.match(await page.locator("#history-cap").textContent(), /at most 500 calls in 30 days/);
  assert.equal(await page.locator("#history-position").textContent(), "Calls 1–50 of 500");
  assert.equal(await page.locator("#history tbody tr").count(), 50);
  await page.getByRole("button", { name: "Older calls" }).click();
  assert.equal(await page.locator("#history-position").textContent(), "Calls 51–100 of 500");
  assert.equal(await page.locator("#history tbody tr").first().getAttribute("data-call"), "cap-050");
  await page.selectOption("#filter-rating", "poor");
  assert.equal(await page.locator("#history-position").textContent(), "Calls 1–50 of 100 (of 500 in 30 days)");
  await assertAccessible(page, "a history at the cap");
  await assertReadable(page, "a history at the cap");

  let asked = 0;
  await page.route((url) => url.pathname === "/users", (route) => {
    const url = new URL(route.request().url());
    asked += 1;
    const from = Number(url.searchParams.get("cursor") || 0);
    // A bounded read finds few matches each time: 3, then 3, then 3.
    const items = [0, 1, 2].map((i) => ({ id: `u${from + i}`, displayName: `John Smith ${from + i}`, userPrincipalName: `john.smith.${from + i}@contoso.com` }));
    return route.fulfill({ json: { items, nextCursor: String(from + 3) } });
  });
  await page.goto(`${GATEWAY}/console#/`);
  await page.getByRole("combobox", { name: "Find a user" }).fill("john smith");
  await page.waitForFunction(() => document.getElementById("status").textContent === "8 suggestions");
  assert.equal(await page.getByRole("option").count(), 8);
  assert.equal(asked, 3, "three requests fill a page of eight");
  await page.context().close();
});

/** POST `body` to `path` as `role`, through the gateway. */
async function apiPost(role, path, body) {
  const { token } = await (await fetch(`${GATEWAY}/dev/token?role=${role}`)).json();
  const response = await fetch(`${GATEWAY}${path}`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(response.status, 201, `${path} as ${role}`);
  return response.json();
}

test("a specialist escalates a poor call with a note, by keyboard, and finds it under My escalations", async () => {
  const call = await poorCall();
  const page = await signIn("Support specialist");
  await openHistory(page, "ada");
  await openCall(page, call.callId);
  const note = "Ada: <b>frozen</b> twice =1+1";
  const form = page.locator("#escalate-form");
  assert.equal(await form.isVisible(), false, "the form stays closed until Escalate is pressed");
  await page.getByRole("button", { name: "Escalate" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await form.isVisible(), false, "Cancel closes it");
  await page.getByRole("button", { name: "Escalate" }).focus();
  await page.keyboard.press("Enter");
  assert.equal(await form.isVisible(), true);
  assert.equal(await page.evaluate(() => document.activeElement.id), "escalate-note", "the note field takes the focus");
  await page.keyboard.type(note);
  await page.getByLabel("Ticket (optional)").fill("INC-4711");
  await assertAccessible(page, "the escalate form");
  await page.getByRole("button", { name: "Send to tier 2" }).press("Enter");
  await page.getByRole("heading", { name: "Notes" }).waitFor();

  // The note is text: the markup shows as typed, and no element was made of it.
  const text = page.locator(".note-text").first();
  assert.equal(await text.textContent(), note);
  assert.equal(await text.locator("b").count(), 0);
  assert.match(await page.locator("main").textContent(), /Sam Specialist/, "their own name on what they wrote");
  assert.deepEqual(await page.getByRole("tab").allTextContents(), ["Overview"], "the call in the specialist's own view");
  assert.equal(await page.getByRole("button", { name: "Claim" }).count(), 0, "tier 1 cannot claim");
  assert.ok(!/\b(null|undefined)\b/.test(await page.locator("main").textContent()), "nothing left out shows as text");
  await assertAccessible(page, "an escalation (specialist)");
  await page.screenshot({ path: `${ARTIFACTS}/specialist-escalation.png`, fullPage: true });

  await page.getByRole("link", { name: "My escalations", exact: true }).click();
  await page.locator("#escalations tbody tr").first().waitFor();
  assert.ok(!/\b(null|undefined)\b/.test(await page.locator("main").textContent()), "no state filter for tier 1, and no trace of it");
  assert.match(await page.locator("#escalations tbody tr").first().textContent(), /INC-4711/);
  await assertAccessible(page, "my escalations");
});

test("an engineer works the queue: opens an escalation beside the call in tier 2's view, claims, notes and resolves it", async () => {
  const call = await poorCall();
  const opened = await apiPost("support-specialist", `/calls/${encodeURIComponent(call.callId)}/escalations?user=${ADA}`, { note: "Choppy audio all afternoon", ticket: "INC-5000" });
  const page = await signIn("Support engineer");
  await page.getByRole("link", { name: "Escalations", exact: true }).click();
  const row = page.locator(`#escalations tr[data-escalation="${opened.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Sam Specialist/, "an engineer sees who escalated");
  assert.match(await row.textContent(), /Choppy audio all afternoon/);
  await assertAccessible(page, "the queue");
  await page.screenshot({ path: `${ARTIFACTS}/engineer-queue.png`, fullPage: true });

  await row.getByRole("link").focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Notes" }).waitFor();
  await page.getByRole("tab", { name: "Overview" }).waitFor();
  assert.deepEqual(await page.getByRole("tab").allTextContents(), ["Overview", "Advanced", "Debug"], "the call in the engineer's view");
  await assertAccessible(page, "an escalation (engineer)");
  await page.screenshot({ path: `${ARTIFACTS}/engineer-escalation.png`, fullPage: true });

  await page.getByRole("button", { name: "Claim" }).focus();
  await page.keyboard.press("Enter");
  await page.getByText("Claimed", { exact: true }).first().waitFor();
  assert.match(await page.locator("h1").textContent(), /Claimed/);
  await page.getByLabel("Add a note").fill("Wi-Fi in building 2 drops packets; moved Ada to wired.");
  await page.getByRole("button", { name: "Add note" }).click();
  await page.getByText("moved Ada to wired").waitFor();
  await page.getByRole("button", { name: "Resolve" }).click();
  await page.locator("h1", { hasText: "Resolved" }).waitFor();

  await page.goto(`${GATEWAY}/console#/escalations/resolved`);
  await page.locator(`#escalations tr[data-escalation="${opened.id}"]`).waitFor();
  const seen = await api("support-specialist", `/escalations/${opened.id}`);
  assert.equal(seen.state, "resolved");
  assert.deepEqual(seen.notes.map((n) => n.author.label), ["Sam Specialist", "Support engineer"], "tier 1 sees tier 2 by role, not by name");
});

test("with an issuer configured, the console signs in by authorization code with PKCE", async () => {
  // A stand-in identity provider, answered inside the browser; its access token is a dev token
  // so the local gateway accepts it. CSP is bypassed only because the stand-in's origin is not
  // the one a deployment's policy would name.
  const issuer = "https://idp.example.test/tenant/v2.0";
  const cors = { "access-control-allow-origin": "*" };
  const { token } = await (await fetch(`${GATEWAY}/dev/token?role=support-engineer`)).json();
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  let authorize, exchanged;
  await page.route(`${GATEWAY}/console/config.json`, (route) => route.fulfill({ json: { signIn: "oidc", issuer, clientId: "console-spa", scope: "openid profile api" } }));
  await page.route(`${issuer}/.well-known/openid-configuration`, (route) =>
    route.fulfill({ json: { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token` }, headers: cors }));
  await page.route((url) => url.href.startsWith(`${issuer}/authorize`), (route) => {
    authorize = new URL(route.request().url());
    const back = `${GATEWAY}/console?code=the-code&state=${authorize.searchParams.get("state")}`;
    return route.fulfill({ status: 302, headers: { location: back } });
  });
  await page.route(`${issuer}/token`, (route) => {
    exchanged = new URLSearchParams(route.request().postData());
    return route.fulfill({ json: { access_token: token, token_type: "Bearer", expires_in: 3600 }, headers: cors });
  });
  await page.goto(`${GATEWAY}/console#/users`);
  await page.getByRole("button", { name: "Sign in with your organisation" }).click();
  await page.getByRole("heading", { name: "Users with calls in the last 30 days" }).waitFor();

  const asked = Object.fromEntries(authorize.searchParams);
  assert.deepEqual(
    { response_type: asked.response_type, client_id: asked.client_id, redirect_uri: asked.redirect_uri, scope: asked.scope, method: asked.code_challenge_method },
    { response_type: "code", client_id: "console-spa", redirect_uri: `${GATEWAY}/console`, scope: "openid profile api", method: "S256" },
  );
  assert.equal(exchanged.get("grant_type"), "authorization_code");
  assert.equal(exchanged.get("code"), "the-code");
  assert.equal(exchanged.get("redirect_uri"), `${GATEWAY}/console`);
  const { createHash } = await import("node:crypto");
  const challenge = createHash("sha256").update(exchanged.get("code_verifier")).digest("base64url");
  assert.equal(challenge, asked.code_challenge, "the verifier answers the challenge");
  assert.ok(!page.url().includes("code="), "the code is gone from the address bar");
  assert.ok(page.url().endsWith("#/users"), "and the page the user started from is back");
  await context.close();
});
