import test from 'ava';
import { autoStartTarget } from '../../src/tui/localServer.js';
import { formatServer, parseServerList, serversName } from '../../src/tui/servers.js';

test('a server list is read in order: host:port, a bare port (this machine), an IPv6 address in brackets; spaces and repeats ignored', (t) => {
  t.deepEqual(parseServerList('a.example:7878, b.example:7879,7880,[::1]:7881,a.example:7878'), [
    { host: 'a.example', port: 7878 },
    { host: 'b.example', port: 7879 },
    { host: '127.0.0.1', port: 7880 },
    { host: '::1', port: 7881 },
  ]);
  t.deepEqual(parseServerList('127.0.0.1:7878'), [{ host: '127.0.0.1', port: 7878 }]);
});

test('a bad entry is refused with a sentence naming it and where it is in the list', (t) => {
  const refused = (list: string) => t.throws(() => parseServerList(list))!.message;
  t.is(refused('a:7878,b'), 'server 2 of "a:7878,b": "b" is not HOST:PORT');
  t.is(refused('a:7878,b:0'), 'server 2 of "a:7878,b:0": "b:0": the port must be from 1 to 65535');
  t.is(refused('a:99999'), 'server 1 of "a:99999": "a:99999": the port must be from 1 to 65535');
  t.is(refused('a:7878,,b:7879'), 'server 2 of "a:7878,,b:7879": an empty entry: write HOST:PORT');
  t.is(refused('a:b:c'), 'server 1 of "a:b:c": "a:b:c" is not HOST:PORT');
  t.is(refused(''), 'server 1 of "": an empty entry: write HOST:PORT');
});

test('a server prints as it is written, and a list as the list (one server keeps its history file name)', (t) => {
  t.is(formatServer({ host: '::1', port: 7878 }), '[::1]:7878');
  t.is(formatServer({ host: 'a.example', port: 1 }), 'a.example:1');
  t.is(serversName(parseServerList('127.0.0.1:7878')), '127.0.0.1:7878');
  t.is(serversName(parseServerList('a:1, b:2')), 'a:1,b:2');
  t.is(serversName(parseServerList('b:2,a:1')), 'a:1,b:2', 'the same nodes in another order: the same history');
});

test('a local server is started only for a single server on this machine, over plain TCP, unless told not to', (t) => {
  const plain = { secure: false, noLocalServer: false };
  t.deepEqual(autoStartTarget(parseServerList('127.0.0.1:7878'), plain), { host: '127.0.0.1', port: 7878 });
  t.deepEqual(autoStartTarget(parseServerList('localhost:9000'), plain), { host: 'localhost', port: 9000 });
  t.is(autoStartTarget(parseServerList('127.0.0.1:7878,127.0.0.1:7879'), plain), undefined, 'a list names servers someone runs');
  t.is(autoStartTarget(parseServerList('chat.example:7878'), plain), undefined);
  t.is(autoStartTarget(parseServerList('127.0.0.1:7878'), { secure: true, noLocalServer: false }), undefined);
  t.is(autoStartTarget(parseServerList('127.0.0.1:7878'), { secure: false, noLocalServer: true }), undefined);
});
