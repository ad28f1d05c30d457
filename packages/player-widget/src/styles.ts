import { css, unsafeCSS } from 'lit';
import videoJsCss from 'video.js/dist/video-js.min.css';
import { splitFontFaces } from './fonts.js';

const videoJs = splitFontFaces(videoJsCss);

/** video.js's icon font, for the document (shadow roots ignore @font-face). */
export const videoJsFontFaces = videoJs.fontFaces;

/** video.js's skin, scoped to the shadow root, then ours. */
export const playerStyles = [
  unsafeCSS(videoJs.rest),
  css`
    :host {
      --xcredit-accent: #2563eb;
      --xcredit-text: #1f2937;
      --xcredit-muted: #6b7280;
      --xcredit-surface: #000;
      --xcredit-error: #b91c1c;
      --xcredit-notice-bg: #fffbeb;
      --xcredit-notice-text: #92400e;
      --xcredit-radius: 8px;
      --xcredit-overlay-bg: #fff;
      --xcredit-overlay-text: #111827;
      --xcredit-font: system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif;
      display: block;
      font-family: var(--xcredit-font);
      color: var(--xcredit-text);
    }
    :host([hidden]) {
      display: none;
    }
    .wrapper {
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
    }
    /* aspect-ratio instead of vjs-fluid: vjs-fluid sizes through a document-level style the shadow root cannot see. */
    .stage {
      position: relative;
      aspect-ratio: 16 / 9;
      background: var(--xcredit-surface);
      border-radius: var(--xcredit-radius);
      overflow: hidden;
    }
    .media {
      position: absolute;
      inset: 0;
    }
    .stage .video-js {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
      font-family: var(--xcredit-font);
    }
    .video-js .vjs-play-progress,
    .video-js .vjs-volume-level {
      background-color: var(--xcredit-accent);
    }
    .video-js .vjs-big-play-button {
      border-color: var(--xcredit-accent);
      background-color: color-mix(in srgb, var(--xcredit-accent) 70%, transparent);
    }
    .video-js:hover .vjs-big-play-button,
    .video-js .vjs-big-play-button:focus {
      background-color: var(--xcredit-accent);
    }
    .blocker {
      position: absolute;
      inset: 0;
      display: flex;
      flex-direction: column;
      align-items: center;
      justify-content: center;
      gap: 1rem;
      padding: 1.5rem;
      text-align: center;
      color: #fff;
      background: rgb(0 0 0 / 0.8);
      font-size: 1rem;
      line-height: 1.5;
    }
    .blocker.error {
      color: #fecaca;
    }
    .status {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 1rem;
      font-size: 0.875rem;
      color: var(--xcredit-muted);
      min-height: 1.25rem;
    }
    .status .exit {
      margin-left: auto;
      padding: 0.2rem 0.75rem;
      border: 1px solid var(--xcredit-accent);
      background: transparent;
      color: var(--xcredit-accent);
    }
    .status .done {
      color: var(--xcredit-accent);
      font-weight: 600;
    }
    .message {
      display: flex;
      align-items: flex-start;
      justify-content: space-between;
      gap: 0.75rem;
      padding: 0.5rem 0.75rem;
      border-radius: var(--xcredit-radius);
      background: var(--xcredit-notice-bg);
      color: var(--xcredit-notice-text);
      font-size: 0.875rem;
    }
    .message.error {
      color: var(--xcredit-error);
    }
    button {
      font: inherit;
      cursor: pointer;
      border-radius: calc(var(--xcredit-radius) / 2);
    }
    .blocker button {
      padding: 0.4rem 1rem;
      border: 1px solid #fff;
      background: var(--xcredit-accent);
      color: #fff;
    }
    .message button {
      border: 0;
      background: transparent;
      color: inherit;
      font-size: 1rem;
      line-height: 1;
      padding: 0 0.25rem;
    }
    button:focus-visible,
    input:focus-visible {
      outline: 2px solid var(--xcredit-accent);
      outline-offset: 2px;
    }
    .overlay {
      position: absolute;
      inset: 0;
      z-index: 2;
      display: flex;
      align-items: center;
      justify-content: center;
      padding: 1rem;
      background: rgb(0 0 0 / 0.55);
    }
    /* The question panel's element only wraps its form: the form is the overlay's flex item. */
    xcredit-question {
      display: contents;
    }
    .panel {
      box-sizing: border-box;
      max-width: min(32rem, 100%);
      max-height: 100%;
      overflow: auto;
      padding: 1rem 1.25rem;
      border-radius: var(--xcredit-radius);
      background: var(--xcredit-overlay-bg);
      color: var(--xcredit-overlay-text);
      font-size: 0.95rem;
      line-height: 1.45;
      box-shadow: 0 10px 30px rgb(0 0 0 / 0.35);
    }
    .panel p {
      margin: 0 0 0.75rem;
    }
    .panel button {
      padding: 0.4rem 1rem;
      border: 1px solid var(--xcredit-accent);
      background: transparent;
      color: var(--xcredit-accent);
    }
    .panel button.primary {
      background: var(--xcredit-accent);
      color: #fff;
    }
    .panel button:disabled {
      opacity: 0.5;
      cursor: default;
    }
    .question-number {
      font-size: 0.8rem;
      color: var(--xcredit-muted);
    }
    .question-prompt {
      font-weight: 600;
    }
    .choices {
      border: 0;
      margin: 0 0 0.75rem;
      padding: 0;
      display: grid;
      gap: 0.35rem;
    }
    .choice {
      display: flex;
      gap: 0.5rem;
      align-items: center;
      cursor: pointer;
    }
    .fill-in input {
      box-sizing: border-box;
      width: 100%;
      margin-bottom: 0.75rem;
      padding: 0.4rem 0.5rem;
      font: inherit;
    }
    .panel.reflection {
      max-width: 100%;
      margin-top: 0.5rem;
      box-shadow: none;
      border: 1px solid var(--xcredit-muted);
    }
    .reflection textarea {
      box-sizing: border-box;
      width: 100%;
      margin-bottom: 0.5rem;
      padding: 0.4rem 0.5rem;
      font: inherit;
    }
    .reflection .count {
      margin-right: auto;
      font-size: 0.85rem;
      color: var(--xcredit-muted);
    }
    .feedback.right {
      color: #047857;
    }
    .feedback.wrong {
      color: var(--xcredit-error);
    }
    .feedback span {
      display: block;
    }
    .hint {
      font-size: 0.85rem;
      color: var(--xcredit-muted);
    }
    .actions {
      display: flex;
      justify-content: flex-end;
      gap: 0.5rem;
    }
    /* Phones: a panel over a 16:9 video a phone's width wide has no room, so it takes the screen
       (the LMS frame's, in a frame); choices and buttons get finger-sized targets. */
    @media (max-width: 540px), (pointer: coarse) and (max-height: 540px) {
      .overlay {
        position: fixed;
        z-index: 2147483000;
        padding: 0.75rem;
      }
      .panel {
        width: 100%;
        max-height: calc(100% - 1rem);
        font-size: 1rem;
      }
      .choice {
        min-height: 2.75rem;
        padding: 0 0.25rem;
      }
      .choice input {
        width: 1.25rem;
        height: 1.25rem;
      }
      .panel button,
      .blocker button {
        min-height: 2.75rem;
        min-width: 2.75rem;
      }
      .status {
        flex-wrap: wrap;
        gap: 0.25rem 1rem;
      }
    }
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
    }
  `,
];
