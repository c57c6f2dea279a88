// Phone calls in the console: a failed Direct Routing call in Ada's history with its own icon,
// explained to a specialist in words (no SIP), to an engineer in SIP terms with the trunk; a PSTN
// call's cost for an admin only; no whole number anywhere on any page; accessible.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ADA, ARTIFACTS, GATEWAY, api, assertAccessible, signIn } from "./browser.mjs";

/** A whole E.164 number: one the masking let through. */
const WHOLE_NUMBER = /\+\d{8,15}(?!\d|\*)/;

/** Ada's newest failed Direct Routing call and newest PSTN call, as the API lists them. */
async function phoneCalls() {
  const history = await api("support-engineer", `/users/${ADA}/calls?limit=100`);
  const failed = history.items.find((c) => c.type === "directRouting" && c.outcome === "failed");
  const pstn = history.items.find((c) => c.type === "pstn");
  assert.ok(failed, "the sample tenant gives Ada a failed Direct Routing call");
  assert.ok(pstn, "the sample tenant gives Ada a PSTN call");
  assert.ok(history.items.some((c) => c.type === "peerToPeer"), "beside her Teams calls");
  return { failed, pstn };
}

async function openPhoneCall(page, callId) {
  await page.goto(`${GATEWAY}/console/#/users/${ADA}`);
  const row = page.locator(`#history tr[data-call="${callId}"]`);
  await row.waitFor();
  await row.locator("a").click();
  await page.locator("#phone-summary").waitFor();
}

test("a specialist sees the failed phone call in the history and why it failed, in words", async () => {
  const { failed } = await phoneCalls();
  const page = await signIn("Support specialist");
  await page.goto(`${GATEWAY}/console/#/users/${ADA}`);
  const row = page.locator(`#history tr[data-call="${failed.callId}"]`);
  await row.waitFor();
  assert.equal(await row.getByRole("img", { name: "Phone call (Direct Routing)" }).count(), 1, "its own icon");
  const line = await row.textContent();
  assert.match(line, /Phone call \(Direct Routing\)/);
  assert.match(line, /(To|From) .*\*\*\*/, "the other number, masked");
  assert.match(line, /Did not connect/);
  assert.doesNotMatch(await page.locator("#history").textContent(), WHOLE_NUMBER, "no whole number in the history");

  await openPhoneCall(page, failed.callId);
  const cause = await page.locator("#phone-cause").textContent();
  assert.match(cause, /Why it did not connect/);
  const view = await api("support-specialist", `/calls/${encodeURIComponent(failed.callId)}?user=${ADA}`);
  assert.ok(cause.includes(view.mainCause), "the plain cause is shown");
  const text = await page.locator("main").textContent();
  assert.doesNotMatch(text, /SIP|Microsoft response code|Trunk/, "no SIP terms for tier 1");
  assert.equal(await page.locator("#phone-network").count(), 0);
  assert.doesNotMatch(text, WHOLE_NUMBER, "no whole number in the detail");
  assert.doesNotMatch(text, /undefined|NaN|directRouting|outbound|inbound\b/, "no raw values");
  await assertAccessible(page, "a failed phone call, as a specialist");
  await page.screenshot({ path: `${ARTIFACTS}/phone-call.png`, fullPage: true });
});

test("an engineer reads the SIP story and the trunk; only an admin sees what a PSTN call cost", async () => {
  const { failed, pstn } = await phoneCalls();
  const engineer = await signIn("Support engineer");
  await openPhoneCall(engineer, failed.callId);
  const network = await engineer.locator("#phone-network").textContent();
  const view = await api("support-engineer", `/calls/${encodeURIComponent(failed.callId)}?user=${ADA}`);
  assert.ok(network.includes(`${view.sip.code}`), "the final SIP code");
  assert.ok(network.includes(`${view.sip.subReason}`), "Microsoft's response code");
  assert.ok(network.includes(view.trunkFqdn), "the trunk");
  assert.ok(network.includes(view.sip.explanation), "what it means");
  assert.doesNotMatch(await engineer.locator("main").textContent(), WHOLE_NUMBER);
  await assertAccessible(engineer, "a failed phone call, as an engineer");
  await engineer.screenshot({ path: `${ARTIFACTS}/phone-call-engineer.png`, fullPage: true });

  await openPhoneCall(engineer, pstn.callId);
  assert.equal(await engineer.locator("#phone-cost").count(), 0, "no cost for an engineer");
  const admin = await signIn("Admin");
  await openPhoneCall(admin, pstn.callId);
  assert.match(await admin.locator("#phone-cost").textContent(), /Charge\s*\d+\.\d\d/);
  assert.match(await admin.locator("#phone-summary").textContent(), /^Connected for /);
  await assertAccessible(admin, "a PSTN call, as an admin");
});
