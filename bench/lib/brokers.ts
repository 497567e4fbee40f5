/**
 * The message brokers a messaging engineer might pick instead, each started by the bench on its own
 * free loopback port with its own temporary data, and a SystemDriver for each (same Pair shape as the
 * termchat, raw relay and IRC drivers): Mosquitto (MQTT QoS 1, persistent subscriber session), NATS
 * JetStream (file stream, publish with ack) and NATS core (no persistence, a reference).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { AckPolicy, connect as natsConnect, DeliverPolicy, StorageType, type NatsConnection } from 'nats';
import { freePort, sleep } from './common.js';
import type { Pair, SystemDriver } from './systems.js';

const which = (names: string[]) => names.find((p) => fs.existsSync(p));
export const MOSQUITTO = which(['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']);
export const NATS_SERVER = which(['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']);

export interface Broker {
  child: ChildProcess;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

async function waitListening(child: ChildProcess, port: number, what: string, err: () => string): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited: ${err().slice(-500)}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} did not start: ${err().slice(-500)}`);
    await sleep(50);
  }
}

async function startChild(bin: string, args: string[], port: number, what: string): Promise<Broker> {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-5000);
  });
  await waitListening(child, port, what, () => err);
  return {
    child,
    pid: child.pid!,
    port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}

/**
 * Mosquitto with persistence on (its defaults otherwise: the database is written every
 * autosave_interval and at shutdown, never per message), no limit on queued or in-flight QoS 1
 * messages (the defaults, 1000 queued and 20 in flight, would drop or throttle a pipelined sender).
 */
export async function startMosquitto(dir: string): Promise<Broker> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed');
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    `listener ${port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location ${dir}/
max_queued_messages 0
max_inflight_messages 0
log_dest stderr
log_type error
log_type warning
user ${os.userInfo().username}
`,
  );
  return startChild(MOSQUITTO, ['-c', conf], port, 'mosquitto');
}

/** nats-server with JetStream on, its file store in `dir`; no fsync per message (its default). */
export async function startNats(dir: string): Promise<Broker> {
  if (!NATS_SERVER) throw new Error('nats-server is not installed');
  const port = await freePort();
  return startChild(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], port, 'nats-server');
}

let pairSeq = 0;
const payload = (content: string) => Buffer.from(content, 'latin1');
/** The sequence number at the start of a payload (contentFor's format), without decoding it all. */
const seqOfPayload = (b: Uint8Array) => parseInt(Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 16)).toString('latin1'), 10);

/** MQTT 3.1.1, QoS 1: the recipient has a persistent session (clean=false); PUBACK answers each publish. */
export const mqttDriver: SystemDriver = {
  name: 'Mosquitto (MQTT QoS 1)',
  async pair(port) {
    const id = pairSeq++;
    const topic = `bench/${id}`;
    const url = `mqtt://127.0.0.1:${port}`;
    const recipient: MqttClient = await connectAsync(url, { clientId: `br${id}`, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    await recipient.subscribeAsync(topic, { qos: 1 });
    const sender: MqttClient = await connectAsync(url, { clientId: `bs${id}`, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
    const p: Pair = {
      errors: 0,
      onDeliver: () => {},
      send(content) {
        sender.publish(topic, payload(content), { qos: 1 }, (err) => {
          if (err) p.errors++;
        });
      },
      async roundTrip(content) {
        await sender.publishAsync(topic, payload(content), { qos: 1 });
      },
      async close() {
        await Promise.all([sender.endAsync(true), recipient.endAsync(true)]);
      },
    };
    recipient.on('message', (_t, m) => p.onDeliver(seqOfPayload(m)));
    return p;
  },
};

const STREAM = 'BENCH';
const streamReady = new Map<number, Promise<void>>();
/** One file-backed stream per server, capturing every `bench.>` subject. */
function ensureStream(nc: NatsConnection, port: number): Promise<void> {
  let p = streamReady.get(port);
  if (!p) {
    p = (async () => {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: STREAM, subjects: ['bench.>'], storage: StorageType.File });
    })();
    streamReady.set(port, p);
  }
  return p;
}

/**
 * JetStream: the sender publishes with ack (PubAck once the stream has stored it); the recipient is a
 * durable pull consumer acknowledging cumulatively (AckPolicy.All) every 256 messages, like termchat's.
 */
export const jetstreamDriver: SystemDriver = {
  name: 'NATS JetStream',
  async pair(port) {
    const id = pairSeq++;
    const subject = `bench.${id}`;
    const sender = await natsConnect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
    const recipient = await natsConnect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
    await ensureStream(sender, port);
    const jsm = await recipient.jetstreamManager();
    const durable = `r${id}`;
    await jsm.consumers.add(STREAM, { durable_name: durable, filter_subject: subject, ack_policy: AckPolicy.All, deliver_policy: DeliverPolicy.New, max_ack_pending: 20_000 });
    const consumer = await recipient.jetstream().consumers.get(STREAM, durable);
    const js = sender.jetstream();
    let unacked = 0;
    const p: Pair = {
      errors: 0,
      onDeliver: () => {},
      send(content) {
        js.publish(subject, payload(content), { timeout: 30_000 }).catch(() => p.errors++);
      },
      async roundTrip(content) {
        await js.publish(subject, payload(content), { timeout: 30_000 });
      },
      async close() {
        await messages.close();
        await Promise.all([sender.close(), recipient.close()]);
      },
    };
    const messages = await consumer.consume({
      max_messages: 1000,
      callback: (m) => {
        if (++unacked >= 256) {
          unacked = 0;
          m.ack();
        }
        p.onDeliver(seqOfPayload(m.data));
      },
    });
    return p;
  },
};

/** NATS core publish/subscribe: no acknowledgement, no persistence (a reference, not a durable system). */
export const natsCoreDriver: SystemDriver = {
  name: 'NATS core',
  async pair(port) {
    const id = pairSeq++;
    const subject = `core.${id}`;
    const sender = await natsConnect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
    const recipient = await natsConnect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
    const p: Pair = {
      errors: 0,
      onDeliver: () => {},
      send(content) {
        sender.publish(subject, payload(content));
      },
      async close() {
        await Promise.all([sender.close(), recipient.close()]);
      },
    };
    recipient.subscribe(subject, { callback: (_e, m) => p.onDeliver(seqOfPayload(m.data)) });
    await recipient.flush(); // the subscription is on the server before anything is published
    return p;
  },
};

/** A NATS connection whose `ping` is one PING/PONG round trip (nc.flush()), NATS's equivalent of termchat's Ping. */
export async function natsPinger(port: number): Promise<{ ping(): Promise<void>; close(): Promise<void> }> {
  const nc = await natsConnect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
  return { ping: () => nc.flush(), close: () => nc.close() };
}
