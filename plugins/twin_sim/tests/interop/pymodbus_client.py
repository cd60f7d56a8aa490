"""Independent Modbus peer for picktwin's simulator: pymodbus reads, writes and provokes the
exceptions the register map documents. Run by tests/interop.rs as
`python3 pymodbus_client.py HOST PORT`; prints one line per check and exits 1 on the first
failure."""

import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.pdu.pdu import ModbusPDU

# pymodbus refuses out-of-range counts before sending; the point here is the server's answer
# to them, so let them through.
ModbusPDU.verifyCount = lambda self, *args, **kwargs: None

host, port = sys.argv[1], int(sys.argv[2])
client = ModbusTcpClient(host, port=port, timeout=3, retries=0)
if not client.connect():
    sys.exit(f"cannot connect to {host}:{port}")

checks = 0


def check(name, condition, detail=""):
    global checks
    checks += 1
    print(("ok   " if condition else "FAIL ") + name + (f": {detail}" if detail and not condition else ""))
    if not condition:
        client.close()
        sys.exit(1)


def exception(response):
    return getattr(response, "exception_code", None) if response.isError() else None


r = client.read_holding_registers(0, count=16, device_id=1)
check("FC03 header", not r.isError() and r.registers[0] == 1 and r.registers[1] == 199, r)
r = client.read_holding_registers(100, count=125, device_id=1)
check("FC03 125 registers", not r.isError() and len(r.registers) == 125, r)
r = client.read_input_registers(0, count=125, device_id=1)
check("FC04 125 registers", not r.isError() and len(r.registers) == 125, r)
r = client.read_discrete_inputs(8192, count=200, device_id=1)
# Address 49 is the demo's absent slot: 199 modules online at addresses 0..200.
check("FC02 online bitmap", not r.isError() and sum(r.bits[:200]) == 199 and not r.bits[49], r)
# The last order-board slot: the simulated WCS fills the board from slot 0.
SCRATCH = 30000 + 1999 * 12
r = client.write_register(SCRATCH, 42, device_id=1)
check("FC06", not r.isError(), r)
r = client.write_registers(SCRATCH + 1, [1, 2, 3], device_id=1)
check("FC16", not r.isError(), r)
r = client.readwrite_registers(read_address=SCRATCH, read_count=4, write_address=SCRATCH + 4, values=[9], device_id=1)
check("FC23", not r.isError() and r.registers == [42, 1, 2, 3], r)
r = client.write_coil(3, True, device_id=1)
check("FC05", not r.isError(), r)
r = client.write_coils(0, [True, False, True], device_id=1)
check("FC15", not r.isError(), r)
r = client.read_coils(0, count=8, device_id=1)
check("FC01 acknowledge coils self-clear", not r.isError() and not any(r.bits[:8]), r)

check("exception 02 gap", exception(client.read_holding_registers(16, count=1, device_id=1)) == 2)
check("exception 02 past 65535", exception(client.read_input_registers(65535, count=2, device_id=1)) == 2)
check("exception 02 read-only", exception(client.write_register(1, 5, device_id=1)) == 2)
check("exception 03 zero", exception(client.read_holding_registers(100, count=0, device_id=1)) == 3)
check("exception 03 over 2000 bits", exception(client.read_discrete_inputs(0, count=2001, device_id=1)) == 3)
check("exception 01 mask write", exception(client.mask_write_register(address=SCRATCH, and_mask=0xFF, or_mask=0, device_id=1)) == 1)
r = client.read_holding_registers(0, count=1, device_id=1)
check("connection survives exceptions", not r.isError(), r)
client.close()
print(f"{checks} passed, 0 failed")
