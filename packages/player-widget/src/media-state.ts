import type videojs from 'video.js/core.es.js';
import type { MediaSnapshot } from './tracker.js';

type Player = ReturnType<typeof videojs>;

/** What media state is read from: the `<video>` and the video.js player built on it. */
export interface MediaOwners {
  video: HTMLVideoElement;
  player: Player | null;
}

/** The media state a statement reports besides length and time (the Video Profile's context extensions). */
export type MediaState = Required<Omit<MediaSnapshot, 'length' | 'time' | 'ccLang'>> & Pick<MediaSnapshot, 'ccLang'>;

/**
 * Every piece of media state the player reports, one entry each: how to read it, and the events
 * that change it (`video` events on the element; `player` events on video.js; `textTracks` on its
 * track list). Read from here only, so `initialized` and `interacted` report the same things.
 */
export const MEDIA_STATE: { [K in keyof MediaState]-?: { get(o: MediaOwners): MediaState[K]; changedBy: readonly string[] } } = {
  // A rate change passes the policy's rate guard first, which reports it.
  speed: { get: ({ video }) => video.playbackRate, changedBy: [] },
  volume: { get: ({ video }) => (video.muted ? 0 : video.volume), changedBy: ['video:volumechange'] },
  ccEnabled: { get: (o) => showingTrack(o) !== undefined, changedBy: ['textTracks:change'] },
  ccLang: { get: (o) => showingTrack(o)?.language || undefined, changedBy: ['textTracks:change'] },
  fullScreen: { get: ({ player }) => player?.isFullscreen() ?? false, changedBy: ['player:fullscreenchange'] },
  screenSize: { get: () => `${screen.width}x${screen.height}`, changedBy: [] },
  videoPlaybackSize: { get: ({ video }) => `${video.clientWidth}x${video.clientHeight}`, changedBy: [] },
};

/**
 * The media state now, read through `MEDIA_STATE`.
 *
 * @example
 * tracker.interacted(video.currentTime, mediaState({ video, player }));
 */
export function mediaState(owners: MediaOwners): MediaState {
  const state = {} as Record<keyof MediaState, unknown>;
  for (const key of Object.keys(MEDIA_STATE) as (keyof MediaState)[]) state[key] = MEDIA_STATE[key].get(owners);
  return state as MediaState;
}

/**
 * The events, by source, after which the reported media state may have changed.
 *
 * @example
 * for (const type of mediaEvents('video')) video.addEventListener(type, onChange);
 */
export function mediaEvents(source: 'video' | 'player' | 'textTracks'): string[] {
  const events = Object.values(MEDIA_STATE).flatMap((entry) => entry.changedBy.filter((e) => e.startsWith(`${source}:`)).map((e) => e.slice(source.length + 1)));
  return [...new Set(events)];
}

/** The captions or subtitles track on screen, if any (video.js's list: it may emulate tracks). */
function showingTrack({ player }: MediaOwners): TextTrack | undefined {
  const list = player?.textTracks() as unknown as ArrayLike<TextTrack> | undefined;
  if (!list) return undefined;
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (t && t.mode === 'showing' && (t.kind === 'captions' || t.kind === 'subtitles')) return t;
  }
  return undefined;
}
