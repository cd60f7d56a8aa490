"""An independent Modbus TCP server (pymodbus) serving hand-made picktwin-v1 register values
for layouts/demo.ron's controller, so `picktwin snapshot` can be checked against values it did
not produce itself. Run by tests/cli.rs as `python3 pymodbus_server.py PORT`."""

import sys

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer


def text(s, regs=4):
    b = s.encode("ascii").ljust(2 * regs, b" ")
    return [b[i] << 8 | b[i + 1] for i in range(0, 2 * regs, 2)]


SIZE = 65535
hr, ir = [0] * SIZE, [0] * SIZE
di, co = [False] * SIZE, [False] * SIZE


def put(table, address, values):
    table[address : address + len(values)] = values


# Header: map version 1, 199 modules, running.
put(hr, 0, [1, 199, 1])
# Module address 3 (id 4): pick 7, blinking blue, job 65538, sequence 9 applied, 3 presses.
put(hr, 100 + 12 * 3, [1, 7] + text("A1-0122") + [2, 1, 500, 1, 2, 9])
put(ir, 8 * 3, [9, 1, 0, 1, 2, 3, 0])
# Module address 10 (id 11): short pick, 2 of 4, shortage latch set.
put(hr, 100 + 12 * 10, [1, 4] + text("A1-0312") + [1, 0, 0, 0, 42, 5])
put(ir, 8 * 10, [5, 3, 2, 0, 42, 1, 0])
put(di, 4096 + 10, [True])
# Module address 150 (id 151): off, quantity blank, pressed while unlit (fault 1).
put(hr, 100 + 12 * 150, [0, 0xFFFF] + text("RET-01"))
put(ir, 8 * 150, [0, 0, 0, 0, 0, 1, 1])
# Online bits: every address but the demo's absent slot 49.
put(di, 8192, [a != 49 for a in range(200)])
# Pickers: P01 walking at (12.34 m, 5.67 m) heading 90°, order 77; P03 absent.
put(ir, 20000, [1234, 567, 9000, 1, 0, 77])
put(ir, 20000 + 16, [0, 0, 0, 5, 0, 0])

# pymodbus 3.16's data blocks number their first value 1 and serve it at protocol address 0.
device = ModbusDeviceContext(
    di=ModbusSequentialDataBlock(1, di),
    co=ModbusSequentialDataBlock(1, co),
    ir=ModbusSequentialDataBlock(1, ir),
    hr=ModbusSequentialDataBlock(1, hr),
)
StartTcpServer(context=ModbusServerContext(devices=device, single=True), address=("127.0.0.1", int(sys.argv[1])))
