"""An independent PTL controller for the link's tests (pymodbus, not picktwin's simulator).

Serves layouts/demo.ron's controller the way a real PTL controller might: the picktwin-v1
header, module command/status blocks and bitmaps, but none of the optional blocks picktwin's
simulator adds (no change counters, no picker block, no order board), so reading them answers
exception 02. The heartbeat moves every 100 ms unless --frozen. Options:

  --frozen          the heartbeat stands still (the PLC program stopped, the stack answers)
  --map-version N   report map version N in the header (the layout expects 1)
  --per-unit        be a ptl-unit-v1 gateway for layouts/unit_gateway.ron's first controller:
                    the header at unit 247, one device per module at units 1..200

Run by plugins/twin_link/tests/peers.rs as `python3 ptl_controller.py PORT [options]`; prints
`ready` once it listens."""

import argparse
import asyncio
import time

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer

args = argparse.ArgumentParser()
args.add_argument("port", type=int)
args.add_argument("--frozen", action="store_true")
args.add_argument("--map-version", type=int, default=1)
args.add_argument("--per-unit", action="store_true")
opts = args.parse_args()


def text(s, regs=4):
    b = s.encode("ascii").ljust(2 * regs, b" ")
    return [b[i] << 8 | b[i + 1] for i in range(0, 2 * regs, 2)]


def put(table, address, values):
    table[address : address + len(values)] = values


def heartbeat_action(register):
    """Keeps the heartbeat register moving (every 100 ms) unless frozen."""

    async def action(fc, start, address, count, registers, values):
        if fc == 3 and not opts.frozen:
            i = register - start
            if 0 <= i < len(registers):
                registers[i] = int(time.monotonic() * 10) & 0xFFFF
        return None

    return action


def block_controller():
    # Holding: header 0..15 and 199 command blocks (100 + 12 × 200); input: 200 status blocks.
    # Nothing at input 16384 (change counters), 20000 (pickers) or holding 30000 (orders).
    hr, ir = [0] * 2500, [0] * 1600
    di = [False] * 8400
    put(hr, 0, [opts.map_version, 199, 1])
    # Module address 3 (id 4): pick 7, blue, job 65538, sequence 9 applied, state lit.
    put(hr, 100 + 12 * 3, [1, 7] + text("A1-0122") + [2, 1, 500, 1, 2, 9])
    put(ir, 8 * 3, [9, 1, 0, 1, 2, 3, 0])
    # Module address 10 (id 11): short pick, 2 of 4, shortage latch set.
    put(hr, 100 + 12 * 10, [1, 4] + text("A1-0312") + [1, 0, 0, 0, 42, 5])
    put(ir, 8 * 10, [5, 3, 2, 0, 42, 1, 0])
    di[4096 + 10] = True
    # Module address 120 (id 121): pick 12, green, lit.
    put(hr, 100 + 12 * 120, [1, 12] + text("B1-0311") + [1, 0, 0, 0, 77, 3])
    put(ir, 8 * 120, [3, 1, 0, 0, 77, 0, 0])
    for a in range(200):
        di[8192 + a] = a != 49
    device = ModbusDeviceContext(
        di=ModbusSequentialDataBlock(1, di),
        co=ModbusSequentialDataBlock(1, [False] * 200),
        ir=ModbusSequentialDataBlock(1, ir),
        hr=ModbusSequentialDataBlock(1, hr),
    )
    device.simdevice.action = heartbeat_action(3)
    return ModbusServerContext(devices=device, single=True)


def unit_gateway():
    # ptl-unit-v1: per unit, holding mode/quantity/location/colour/blink, input
    # state/confirmed/presses; device codes: mode 16 pick, state 1 lit / 4 shortage,
    # colour 2 green / 4 blue (RGB bits). Module address a is unit a + 1, location = module id.
    devices = {}
    header = [opts.map_version, 200, 1, 0, 0, 0, 0, 0]
    gateway = ModbusDeviceContext(hr=ModbusSequentialDataBlock(1, header))
    gateway.simdevice.action = heartbeat_action(3)
    devices[247] = gateway
    lit = {4: ([16, 6, 5, 2, 0], [1, 0, 0]), 17: ([16, 3, 18, 4, 1], [4, 1, 1])}
    for a in range(200):
        hr, ir = lit.get(a, ([0, 0xFFFF, a + 1, 0, 0], [0, 0, 0]))
        devices[a + 1] = ModbusDeviceContext(
            hr=ModbusSequentialDataBlock(1, list(hr)), ir=ModbusSequentialDataBlock(1, list(ir))
        )
    return ModbusServerContext(devices=devices, single=False)


async def main():
    context = unit_gateway() if opts.per_unit else block_controller()
    server = asyncio.create_task(StartAsyncTcpServer(context=context, address=("127.0.0.1", opts.port)))
    await asyncio.sleep(0.3)
    print("ready", flush=True)
    await server


asyncio.run(main())
