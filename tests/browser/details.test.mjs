// A session's Advanced and Debug tabs as an engineer sees them: every group Graph's reports
// fill (Feedback, System, Building; per segment and medium Device, Connectivity, Network), every
// value in words with its unit, no raw enumeration value, the user's feedback, and the ids an
// engineer quotes to Microsoft; accessible.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ADA, ARTIFACTS, GATEWAY, api, assertAccessible, signIn } from "./browser.mjs";

/** What must never show: a missing value, or Graph's enumeration values as sent. */
const RAW = /undefined|NaN|wifi80211|\budp\b|\btcp\b|\bwindows\b|frequency\d|main-audio|main-video|callSetup|midcall|notRated|skypeForBusiness/;

/** Ada's session reported in full by the sample tenant: several segments, video, feedback. */
async function detailedSession() {
  const history = await api("support-engineer", `/users/${ADA}/calls?limit=100`);
  for (const line of history.items.filter((c) => c.rating === "poor" && !c.outcome)) {
    const call = await api("support-engineer", `/calls/${encodeURIComponent(line.callId)}?user=${ADA}`);
    const session = call.sessions.find((s) => s.advanced.caller.segments.length > 1 && s.advanced.caller.feedback);
    if (session) return { call, session };
  }
  assert.fail("the sample tenant gives Ada a video call of several segments with her feedback");
}

test("an engineer sees every detail of a session, grouped per segment and medium, in words and units", async () => {
  const { call, session } = await detailedSession();
  const page = await signIn("Support engineer");
  await page.goto(`${GATEWAY}/console/#/users/${ADA}/calls/${encodeURIComponent(call.callId)}/sessions/${session.index + 1}`);
  await page.getByRole("tab", { name: "Advanced" }).click();
  const panel = page.locator("#panel-advanced");
  await panel.getByRole("heading", { name: "Device" }).first().waitFor();

  for (const name of ["Feedback", "System", "Building", "Device", "Connectivity", "Network"]) {
    assert.ok(await panel.getByRole("heading", { name, exact: true }).count() > 0, `the ${name} group is shown`);
  }
  const segments = session.advanced.caller.segments;
  for (const segment of segments) {
    const heading = panel.getByRole("heading", { name: new RegExp(`^Segment ${segment.index + 1}, from .* · Video$`) });
    assert.ok(await heading.count() > 0, `segment ${segment.index + 1}'s video is labelled`);
  }
  const text = await panel.textContent();
  assert.doesNotMatch(text, RAW, "no raw value in Advanced");
  // textContent runs the cells together ("-21 dBNoise level"), so no word boundary after a unit.
  for (const unit of [/\d dB/, /\d\.\d\d % of the call/, /\d Mbit\/s/, /\d MHz/, /\d ms/, /\d %/, /\d per 5 minutes/, /\d cores/]) {
    assert.match(text, unit, `a value in ${unit}`);
  }
  for (const words of ["Wi-Fi 5 (802.11ac)", "Wi-Fi 4 (802.11n)", "2.4 GHz", "5 GHz", "UDP", "Windows", "macOS", "Teams", "Wired", "Wi-Fi"]) {
    assert.ok(text.includes(words), `"${words}" is shown`);
  }
  const feedback = session.advanced.caller.feedback;
  assert.ok(text.includes(feedback.text), "the caller's feedback is shown");
  assert.match(text, /Poor \(2 of 5\)/);
  const audio = segments[0].media.find((m) => m.label === "main-audio");
  assert.ok(text.includes(audio.connectivity.wifiVendorDriver), "the Wi-Fi driver is shown");
  assert.ok(text.includes(`${audio.device.sentSignalLevel} dB`), "a signal level with its unit");
  await assertAccessible(page, "a session's full Advanced tab");
  await page.screenshot({ path: `${ARTIFACTS}/session-advanced.png`, fullPage: true });

  await page.getByRole("tab", { name: "Debug" }).click();
  const debug = page.locator("#panel-debug");
  await debug.getByRole("heading", { name: "Identifiers" }).waitFor();
  const debugText = await debug.textContent();
  assert.doesNotMatch(debugText, RAW, "no raw value in Debug");
  for (const id of [session.debug.callId, session.debug.sessionId]) assert.ok(debugText.includes(id), `the id ${id} is shown`);
  assert.match(debugText, /Conference id/);
  const reports = session.debug.caller.segments.flatMap((s) => s.media);
  for (const field of ["ssid", "bssid", "macAddress", "relayIpAddress", "reflexiveIpAddress", "dnsSuffix"]) {
    const value = reports.map((m) => m[field]).find(Boolean);
    assert.ok(value, `the sample reports ${field}`);
    assert.ok(debugText.includes(value), `Debug shows ${field}`);
  }
  assert.ok(debugText.includes(session.debug.caller.userAgent), "the user agent is shown");
  await assertAccessible(page, "a session's Debug tab");
  await page.screenshot({ path: `${ARTIFACTS}/session-debug.png`, fullPage: true });
});

test("a failed session's Debug says why and when, in words", async (t) => {
  const history = await api("support-engineer", `/users/${ADA}/calls?limit=100`);
  let found;
  for (const line of history.items.filter((c) => !c.outcome)) {
    const call = await api("support-engineer", `/calls/${encodeURIComponent(line.callId)}?user=${ADA}`);
    const session = call.sessions.find((s) => s.debug.failure);
    if (session) { found = { call, session }; break; }
  }
  if (!found) return t.skip("the sample tenant's failed setups are drawn at random: none of Ada's this time");
  const page = await signIn("Support engineer");
  await page.goto(`${GATEWAY}/console/#/users/${ADA}/calls/${encodeURIComponent(found.call.callId)}/sessions/${found.session.index + 1}`);
  await page.getByRole("tab", { name: "Debug" }).click();
  const text = await page.locator("#panel-debug").textContent();
  assert.match(text, /While setting up the call|During the call/);
  assert.ok(text.includes(found.session.debug.failure.reason), "the failure's reason");
  assert.doesNotMatch(text, RAW);
  await assertAccessible(page, "a failed session's Debug tab");
});
