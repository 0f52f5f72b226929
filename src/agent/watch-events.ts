// WatchEvents: libvirt's lifecycle and device events as a gRPC stream, until
// the client cancels (or the agent stops).
//
// Bounded per stream: a message is handed to grpc-js only while its write
// buffer accepts more (call.write() backpressure); beyond that up to
// maxBuffered events wait here. A client that falls further behind is ended
// with RESOURCE_EXHAUSTED and counted (onOverflow); if it does not read even
// that status within graceMs, its HTTP/2 stream is reset, so a client that
// never reads holds nothing for long. At most maxStreams streams at once.
import * as http2 from 'node:http2';

import * as grpc from '@grpc/grpc-js';

import { ResourceExhausted } from '../errors';
import type { Event__Output, WatchEventsRequest__Output } from '../generated/virtagent/v1';
import type { Timestamp__Output } from '../generated/google/protobuf/Timestamp';
import { serverStreaming, type CallObserver } from '../grpc/status';
import type { DeviceEventInfo, LifecycleEventInfo } from '../libvirt/connection';
import { nameOf } from '../enums';
import { lifecycleDetailName, LifecycleEvent } from '../libvirt/constants';
import type { DomainRef, Host } from '../libvirt/host';
import { optionalDomainRef } from './validate';

type Event = Event__Output;
type WatchCall = grpc.ServerWritableStream<WatchEventsRequest__Output, Event>;

export interface WatchEventsOptions {
  /** Events waiting per stream while the client does not read; one more ends the stream. */
  maxBuffered: number;
  /** Streams open at once (the ones ended but not yet closed by the client included). */
  maxStreams: number;
  /** After ending a stream that fell behind: reset it when the client has not closed it by then. */
  graceMs?: number;
  /** A stream was ended because its client fell behind. */
  onOverflow?: () => void;
}

function timestamp(ms: number): Timestamp__Output {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function matches(ref: DomainRef | undefined, e: { name: string; uuid: string }): boolean {
  return !ref || (ref.uuid ? ref.uuid === e.uuid : ref.name === e.name);
}

function base(e: { name: string; uuid: string; receivedAt: number }): Pick<Event, 'time' | 'domain_name' | 'domain_uuid'> {
  return { time: timestamp(e.receivedAt), domain_name: e.name, domain_uuid: e.uuid };
}

/**
 * The HTTP/2 stream under a grpc-js server call (through its interceptor
 * chain); undefined if grpc-js is built differently. Only used to reset a
 * stream whose client does not read.
 */
function http2StreamOf(call: unknown): http2.ServerHttp2Stream | undefined {
  let c = (call as { call?: unknown }).call as Record<string, unknown> | undefined;
  for (let i = 0; c && i < 16; i++) {
    const st = c.stream as { close?: unknown; respond?: unknown } | undefined;
    if (st && typeof st.close === 'function' && typeof st.respond === 'function') return st as unknown as http2.ServerHttp2Stream;
    c = c.nextCall as Record<string, unknown> | undefined;
  }
  return undefined;
}

export class EventStreams {
  private streams = 0;
  /** Streams ended because their client fell behind, since start. */
  overflowed = 0;

  constructor(private readonly host: Host, private readonly options: WatchEventsOptions, private readonly stopping?: AbortSignal) {}

  /** Streams open now. */
  get open(): number {
    return this.streams;
  }

  handler(observer?: CallObserver): grpc.handleServerStreamingCall<WatchEventsRequest__Output, Event> {
    return serverStreaming<WatchEventsRequest__Output, Event>((call, signal) => this.stream(call, signal), observer);
  }

  private async stream(call: WatchCall, signal: AbortSignal): Promise<void> {
    const ref = optionalDomainRef(call.request.domain);
    if (this.streams >= this.options.maxStreams) {
      throw new ResourceExhausted(`WatchEvents: ${this.streams} streams are open, the most this agent serves at once; retry later`);
    }
    this.streams++;
    let counted = true;
    const release = () => {
      if (counted) this.streams--;
      counted = false;
    };
    const queue: Event[] = [];
    let blocked = false;
    let overflow: ResourceExhausted | undefined;
    let stop = (): void => undefined;

    const send = (msg: Event) => {
      if (overflow || call.cancelled) return;
      if (!blocked) {
        // false: accepted, but grpc-js's buffer is full; wait for 'drain'.
        blocked = !call.write(msg);
        return;
      }
      queue.push(msg);
      if (queue.length > this.options.maxBuffered) {
        overflow = new ResourceExhausted(`WatchEvents: the client fell behind by more than ${this.options.maxBuffered} events; stream ended`);
        queue.length = 0;
        stop();
      }
    };
    const onDrain = () => {
      blocked = false;
      while (queue.length > 0 && !blocked) blocked = !call.write(queue.shift()!);
    };
    const onLifecycle = (e: LifecycleEventInfo) => matches(ref, e) && send({
      ...base(e),
      lifecycle: {
        event: nameOf(LifecycleEvent, e.event) ?? String(e.event), detail: lifecycleDetailName(e.event, e.detail),
        event_code: e.event, detail_code: e.detail,
      },
    });
    const onRemoved = (e: DeviceEventInfo) => matches(ref, e) && send({ ...base(e), device_removed: { device_alias: e.alias } });
    const onFailed = (e: DeviceEventInfo) => matches(ref, e) && send({ ...base(e), device_removal_failed: { device_alias: e.alias } });

    call.on('drain', onDrain);
    this.host.on('lifecycle', onLifecycle);
    this.host.on('deviceRemoved', onRemoved);
    this.host.on('deviceRemovalFailed', onFailed);
    // Subscribed: the response headers tell a client that every later event reaches it
    // (virtctl starts the operation it shows the progress of only then).
    call.sendMetadata(new grpc.Metadata());
    const closed = new Promise<void>((resolve) => {
      call.once('close', resolve);
      call.once('finish', resolve);
      call.once('cancelled', resolve);
    });
    try {
      // Stream until the client goes away, the server stops, or the client falls behind.
      await new Promise<void>((resolve) => {
        stop = resolve;
        if (signal.aborted || this.stopping?.aborted) {
          resolve();
          return;
        }
        signal.addEventListener('abort', () => resolve(), { once: true });
        this.stopping?.addEventListener('abort', stop, { once: true });
        void closed.then(resolve);
      });
    } finally {
      this.stopping?.removeEventListener('abort', stop);
      this.host.off('lifecycle', onLifecycle);
      this.host.off('deviceRemoved', onRemoved);
      this.host.off('deviceRemovalFailed', onFailed);
      call.off('drain', onDrain);
      queue.length = 0;
      if (!overflow) release();
    }
    if (overflow) {
      this.overflowed++;
      try {
        this.options.onOverflow?.();
      } catch {
        // Metrics must never break the stream's end.
      }
      // The status waits behind what grpc-js already buffered: a client that
      // never reads never gets it. The slot stays taken until the stream is
      // really closed; after graceMs it is reset.
      const grace = setTimeout(() => {
        const s = http2StreamOf(call);
        if (s && !s.closed && !s.destroyed) s.close(http2.constants.NGHTTP2_CANCEL);
      }, this.options.graceMs ?? 10_000);
      grace.unref();
      void closed.then(() => {
        clearTimeout(grace);
        release();
      });
      throw overflow;
    }
  }
}
