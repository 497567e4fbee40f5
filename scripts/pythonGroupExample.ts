/**
 * The second Python example of docs/PROTOCOL.md: a group session (two accounts, a group, a message
 * to it, the member's push and Ack, the sender's delivery count). Its opcodes, struct formats and
 * error codes come from the schema through gen-protocol-doc.ts; test/server/pythonExample.test.ts
 * runs it against a server.
 */
import { ErrorCode } from '../src/protocol/errors.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../src/protocol/defaults.js';
import type { MessageName } from '../src/protocol/schema.js';

/** The example; `fmt` gives a message's Python struct format (quoted), `ops` a line of opcode constants, `header` the header's format. */
export function pythonGroupExample(fmt: (n: MessageName) => string, ops: (names: MessageName[]) => string, header: string): string {
  return `\`\`\`python
# alice creates #demo, bob joins it, alice writes to the group; bob is pushed the message and
# acknowledges it, and alice hears it was delivered to 1 member of 1. Run: python3 group.py [HOST [PORT]]
import random, socket, struct, sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "${DEFAULT_HOST}"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else ${DEFAULT_PORT}
HEADER = ">${header}"  # body length, opcode, request id
${ops(['Register', 'Login', 'Send', 'Ack', 'CreateGroup', 'JoinGroup'])}
${ops(['Ok', 'Error', 'LoginOk', 'Accepted'])}
${ops(['GroupMessage', 'GroupDelivered'])}
USERNAME_TAKEN, GROUP_TAKEN = ${ErrorCode.USERNAME_TAKEN}, ${ErrorCode.GROUP_TAKEN}

def text(raw):
    return raw.rstrip(b"\\0").decode("ascii")

class Connection:
    """One logged-in client: requests in order, pushes kept aside until asked for."""

    def __init__(self, name):
        self.s = socket.create_connection((HOST, PORT))
        self.rid = 0
        self.pushes = []
        self.call(REGISTER, ${fmt('Register')}, name, b"secret", allowed=(USERNAME_TAKEN,))
        self.call(LOGIN, ${fmt('Login')}, name, b"secret", expect=LOGIN_OK)

    def read_frame(self):
        head = self.recv_exact(struct.calcsize(HEADER))
        length, op, rid = struct.unpack(HEADER, head)
        return op, rid, self.recv_exact(length)

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.s.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return data

    def call(self, op, fmt, *fields, expect=OK, allowed=()):
        """Sends a request and returns its answer's body; an Error whose code is in \`allowed\` is printed and returns None."""
        self.rid += 1
        body = struct.pack(fmt, *fields)
        self.s.sendall(struct.pack(HEADER, len(body), op, self.rid) + body)
        while True:
            answer, rid, body = self.read_frame()
            if rid == self.rid:
                break
            if rid == 0 and answer == ERROR:
                raise ConnectionError(text(struct.unpack(${fmt('Error')}, body)[1]))
            self.pushes.append((answer, body))
        if answer == ERROR:
            code, message = struct.unpack(${fmt('Error')}, body)
            if code in allowed:
                return None
            raise SystemExit(f"request {op:#x}: error {code}: {text(message)}")
        assert answer == expect, f"request {op:#x}: unexpected answer {answer:#x}"
        return body

    def push(self, want):
        """The next push of kind \`want\` (other pushes are skipped)."""
        while True:
            op, body = self.pushes.pop(0) if self.pushes else self.read_frame()[0::2]
            if op == want:
                return body

alice, bob = Connection(b"alice"), Connection(b"bob")
if alice.call(CREATE_GROUP, ${fmt('CreateGroup')}, b"#demo", 0, allowed=(GROUP_TAKEN,)) is None:
    print("#demo exists already")
bob.call(JOIN_GROUP, ${fmt('JoinGroup')}, b"#demo")  # Ok also when bob is a member already

client_id = random.randint(1, 0xFFFFFFFF)
body = alice.call(SEND, ${fmt('Send')}, b"#demo", client_id, 0, b"hello group", expect=ACCEPTED)
msg_id = struct.unpack(${fmt('Accepted')}, body)[0]
print("accepted as message", msg_id)

while True:
    group, mid, sender, cid, flags, sent_at, content = struct.unpack(${fmt('GroupMessage')}, bob.push(GROUP_MESSAGE))
    if cid == client_id:
        break
print("bob got message", mid, "in", text(group), "from", text(sender) + ":", text(content))
bob.call(ACK, ${fmt('Ack')}, mid)

while True:
    group, did, delivered, recipients = struct.unpack(${fmt('GroupDelivered')}, alice.push(GROUP_DELIVERED))
    if did == msg_id and delivered == recipients:
        break
print("delivered to", delivered, "of", recipients, "in", text(group))
\`\`\``;
}
