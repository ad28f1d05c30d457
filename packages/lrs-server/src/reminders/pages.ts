import { html } from '../html.js';

const page = (title: string, body: ReturnType<typeof html>) =>
  html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>body { font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif; max-width: 560px; margin: 48px auto; color: #1d2733; } button { font: inherit; padding: 8px 16px; }</style>
</head><body>${body}</body></html>`.text;

/** Asks before unsubscribing: a link scanner that follows the mail's link changes nothing. */
export function unsubscribeAsk(learnerName: string, action: string): string {
  return page(
    'Reminders · 提醒',
    html`<h1 style="font-size:1.3rem">Stop credit reminders? · 不再接收学分提醒？</h1>
<p>${learnerName}: you will no longer receive reminder emails about your learning credits. Your credits are not affected.</p>
<p>${learnerName}：您将不再收到学分提醒邮件，您的学分不受影响。</p>
<form method="post" action="${action}"><button type="submit" id="unsubscribe">Unsubscribe · 退订</button></form>`,
  );
}

export function unsubscribeDone(learnerName: string): string {
  return page('Unsubscribed · 已退订', html`<h1 style="font-size:1.3rem" id="done">Unsubscribed · 已退订</h1><p>${learnerName}: no more credit reminders will be sent to you. · 不会再向您发送学分提醒。</p>`);
}

export function unsubscribeInvalid(): string {
  return page('Invalid link · 链接无效', html`<h1 style="font-size:1.3rem" id="invalid">This link is not valid · 链接无效</h1><p>Use the link in your most recent reminder email. · 请使用最近一封提醒邮件中的链接。</p>`);
}
