import type { LaunchErrorCode } from './launch.js';

export type Lang = 'en' | 'zh-CN';

/** Everything the element says to people, in one language. */
export interface Messages {
  loading: string;
  watched: (percent: number) => string;
  completed: string;
  /** Statements waiting for the network. */
  offline: (pending: number) => string;
  seekLocked: string;
  rateLimited: (maxRate: number) => string;
  launch: Record<LaunchErrorCode, string>;
  media: string;
  rejected: (message: string) => string;
  sessionEnded: string;
  retry: string;
  dismiss: string;
  playerLabel: (title: string) => string;
  /** "3 of 4 questions answered". */
  questionsAnswered: (answered: number, total: number) => string;
  idlePrompt: string;
  checkPrompt: string;
  /** The prompt went unanswered and the video paused. */
  promptPaused: string;
  imHere: string;
  takenOver: string;
  question: (n: number, total: number) => string;
  submit: string;
  continue: string;
  skip: string;
  answerToContinue: string;
  yourAnswer: string;
  correct: string;
  incorrect: string;
  correctAnswer: (answers: string) => string;
  answerSaved: string;
  trueLabel: string;
  falseLabel: string;
  resumed: (time: string) => string;
  captions: string;
  /** Credits the server verified as earned, of the course's. */
  credits: (earned: number, credits: number) => string;
  /** After a wrong answer: rewatch a part, then answer again. */
  retryAfter: (from: string, to: string, attemptsLeft: number) => string;
  /** cmi5: leave the course and go back to the LMS. */
  exit: string;
  reflectionTitle: string;
  /** "12 characters (at least 50)". */
  reflectionCount: (count: number, min: number) => string;
  reflectionSend: string;
  /** Where the reflection stands; the argument is the reviewer's note when it was returned. */
  reflectionStatus: Record<'submitted' | 'approved' | 'returned', (note: string) => string>;
}

const en: Messages = {
  loading: 'Loading the course…',
  watched: (p) => `${p}% watched`,
  completed: 'Completed',
  offline: (n) => `Offline: ${n} update${n === 1 ? '' : 's'} saved on this device, sent when the connection returns.`,
  seekLocked: 'Skipping ahead is turned off for this course. You can go back at any time.',
  rateLimited: (r) => `This course can be played at up to ${r}× speed.`,
  launch: {
    'missing-attribute': 'This player is missing its endpoint or launch token.',
    unauthorized: 'This course link has expired or is not valid. Open the course again from your learning portal.',
    forbidden: 'You do not have access to this course.',
    'not-found': 'This course session was not found. Open the course again from your learning portal.',
    network: 'Cannot reach the learning server. Check your connection and try again.',
    invalid: 'The learning server sent a response this player does not understand.',
    'course-mismatch': 'This link belongs to a different course.',
    untrusted: 'This course link points to another site, so the player refused it. Open the course again from your learning portal.',
    'not-confirmed': 'The learning server could not confirm this course launch: the course package was changed or is not meant for this learning portal. Ask its administrator to import the course again.',
  },
  media: 'The video could not be loaded.',
  rejected: (m) => `The learning server refused some progress data: ${m}`,
  sessionEnded: 'Your session has ended. Reload the page to continue.',
  retry: 'Try again',
  dismiss: 'Dismiss message',
  playerLabel: (t) => `Video: ${t}`,
  questionsAnswered: (a, t) => `${a} of ${t} question${t === 1 ? '' : 's'} answered`,
  idlePrompt: 'Are you still there? Confirm to keep this time counted.',
  checkPrompt: 'Attention check: confirm you are following the video.',
  promptPaused: 'The video paused because there was no answer. Confirm to continue.',
  imHere: "I'm here",
  takenOver: 'This course was opened in another window or device, so this player has stopped. Your progress so far is saved; continue in the newer window.',
  question: (n, t) => `Question ${n} of ${t}`,
  submit: 'Submit answer',
  continue: 'Continue',
  skip: 'Skip',
  answerToContinue: 'Answer to continue the video.',
  yourAnswer: 'Your answer',
  correct: 'Correct.',
  incorrect: 'Not quite.',
  correctAnswer: (a) => `The correct answer: ${a}`,
  answerSaved: 'Your answer is saved.',
  trueLabel: 'True',
  falseLabel: 'False',
  resumed: (t) => `Continuing where you left off (${t}).`,
  captions: 'Captions',
  exit: 'Exit course',
  reflectionTitle: 'Your reflection',
  reflectionCount: (n, min) => `${n} characters (at least ${min})`,
  reflectionSend: 'Send reflection',
  reflectionStatus: {
    submitted: () => 'Sent; waiting for review. You can still change it until then. The course credits count once it is approved.',
    approved: () => 'Your reflection was approved; the course credits count.',
    returned: (note) => `Your reflection was returned: ${note}`,
  },
  credits: (e, c) => `${e} of ${c} credit${c === 1 ? '' : 's'} earned`,
  retryAfter: (f, t, n) => `Watch ${f}–${t} again, then answer again (${n} left).`,
};

const zhCN: Messages = {
  loading: '正在加载课程…',
  watched: (p) => `已观看 ${p}%`,
  completed: '已完成',
  offline: (n) => `网络已断开：${n} 条学习记录已保存在本设备，联网后自动发送。`,
  seekLocked: '本课程不允许快进到未观看的部分，可以随时后退。',
  rateLimited: (r) => `本课程最高可以 ${r} 倍速播放。`,
  launch: {
    'missing-attribute': '播放器缺少 endpoint 或 launch-token 属性。',
    unauthorized: '课程链接已过期或无效，请从学习平台重新打开课程。',
    forbidden: '您没有访问此课程的权限。',
    'not-found': '未找到此课程会话，请从学习平台重新打开课程。',
    network: '无法连接学习服务器，请检查网络后重试。',
    invalid: '学习服务器返回了无法识别的数据。',
    'course-mismatch': '此链接属于另一门课程。',
    untrusted: '此课程链接指向其他网站，播放器已拒绝打开。请从学习平台重新打开课程。',
    'not-confirmed': '学习服务器无法确认此次课程启动：课程包已被修改，或并非为此学习平台导出。请联系平台管理员重新导入课程。',
  },
  media: '视频无法加载。',
  rejected: (m) => `学习服务器拒收了部分学习记录：${m}`,
  sessionEnded: '学习会话已结束，请刷新页面继续。',
  retry: '重试',
  dismiss: '关闭提示',
  playerLabel: (t) => `视频：${t}`,
  questionsAnswered: (a, t) => `已答 ${a}/${t} 题`,
  idlePrompt: '您还在吗？请确认，以便继续计入学习时间。',
  checkPrompt: '专注度检查：请确认您正在观看视频。',
  promptPaused: '由于没有回应，视频已暂停。请确认后继续。',
  imHere: '我在',
  takenOver: '此课程已在另一个窗口或设备上打开，本播放器已停止。已有进度已保存，请在新窗口中继续学习。',
  question: (n, t) => `第 ${n} 题，共 ${t} 题`,
  submit: '提交答案',
  continue: '继续',
  skip: '跳过',
  answerToContinue: '回答后才能继续播放。',
  yourAnswer: '您的答案',
  correct: '回答正确。',
  incorrect: '回答不正确。',
  correctAnswer: (a) => `正确答案：${a}`,
  answerSaved: '答案已保存。',
  trueLabel: '正确',
  falseLabel: '错误',
  resumed: (t) => `从上次离开的位置（${t}）继续。`,
  captions: '字幕',
  exit: '退出课程',
  reflectionTitle: '学习心得',
  reflectionCount: (n, min) => `${n} 字（至少 ${min} 字）`,
  reflectionSend: '提交心得',
  reflectionStatus: {
    submitted: () => '已提交，等待审核。审核前仍可修改。本课程学分在心得通过后计入。',
    approved: () => '心得已通过，本课程学分已计入。',
    returned: (note) => `心得被退回：${note}`,
  },
  credits: (e, c) => `已得 ${e}/${c} 学分`,
  retryAfter: (f, t, n) => `重看 ${f}–${t} 后可再答（剩 ${n} 次）。`,
};

const catalogs: Record<Lang, Messages> = { en, 'zh-CN': zhCN };

/**
 * The supported language for a `lang` attribute; any Chinese tag maps to Simplified Chinese.
 *
 * @example
 * resolveLang('zh'); // 'zh-CN'
 * resolveLang('fr'); // 'en'
 */
export function resolveLang(lang: string | null | undefined): Lang {
  return /^zh\b/i.test(lang ?? '') ? 'zh-CN' : 'en';
}

export function messages(lang: string | null | undefined): Messages {
  return catalogs[resolveLang(lang)];
}

/**
 * Media time as m:ss.
 *
 * @example
 * clock(75); // '1:15'
 */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
