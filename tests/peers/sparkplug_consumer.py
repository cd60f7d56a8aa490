#!/usr/bin/env python3
"""A Sparkplug B host the project did not write: pysparkplug (PyPI) subscribed to a group
through Mosquitto, decoding births, data and deaths with its own protobuf code and resolving
aliases from the births itself. It keeps the latest value of every metric per device, checks
the sequence numbers (NBIRTH 0, then one more per message, 0-255) and writes what it knows as
JSON to --out every 100 ms (atomically). Lines on stdin send commands as a SCADA would:

    rebirth                      NCMD Node Control/Rebirth = true
    dcmd DEVICE VALUE METRIC     DCMD writing an unsigned 16-bit value (must be refused)
    ncmd METRIC                  NCMD with another boolean metric (must be refused)

(metric names may contain spaces: they are the rest of the line)
    garbage                      8 bytes that are not a payload, on NCMD

Start it before the gateway (or send `rebirth`): pysparkplug cannot decode data whose birth it
has not seen, and its paho thread dies on the first such message.

Used by tests/sparkplug.rs; `python3 tests/peers/sparkplug_consumer.py --port 1883 --group plant
--edge north --out /tmp/spb.json` to watch a gateway by hand.
"""

import argparse
import json
import os
import sys
import threading
import time
import traceback

import paho.mqtt.client as paho_mqtt
import pysparkplug as spb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--edge", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    lock = threading.Lock()
    state = {
        "connected": False,
        "events": [],  # births and deaths, in order
        "data": 0,
        "node": {},
        "devices": {},  # id -> {"alive": bool, "metrics": {name: value}}
        "errors": [],
        "seq_errors": [],
    }
    last_seq = {"seq": None}

    def check_seq(kind, seq):
        if kind == "NBIRTH":
            if seq != 0:
                state["seq_errors"].append(f"NBIRTH seq {seq}")
        elif last_seq["seq"] is not None and seq != (last_seq["seq"] + 1) % 256:
            state["seq_errors"].append(f"{kind} seq {seq} after {last_seq['seq']}")
        last_seq["seq"] = seq

    def on_message(_client, message):
        try:
            kind = str(message.topic.message_type)
            device = message.topic.device_id
            p = message.payload
            with lock:
                if kind == "NDEATH":
                    state["events"].append({"type": kind, "bdSeq": p.bd_seq_metric.value})
                    for d in state["devices"].values():
                        d["alive"] = False
                    last_seq["seq"] = None
                    return
                check_seq(kind, p.seq)
                values = {m.name: m.value for m in getattr(p, "metrics", ())}
                if any(name is None for name in values):
                    state["errors"].append(f"{kind} {device}: a metric without a name or known alias")
                if kind == "NBIRTH":
                    state["node"] = values
                    state["events"].append({"type": kind, "seq": p.seq, "bdSeq": values.get("bdSeq"),
                                            "metrics": len(values)})
                elif kind == "NDATA":
                    state["node"].update(values)
                    state["data"] += 1
                elif kind == "DBIRTH":
                    state["devices"][device] = {"alive": True, "metrics": values}
                    state["events"].append({"type": kind, "device": device, "seq": p.seq,
                                            "metrics": len(values)})
                elif kind == "DDATA":
                    d = state["devices"].get(device)
                    if d is None or not d["alive"]:
                        state["errors"].append(f"DDATA for {device} before its DBIRTH")
                    else:
                        d["metrics"].update(values)
                    state["data"] += 1
                elif kind == "DDEATH":
                    if device in state["devices"]:
                        state["devices"][device]["alive"] = False
                    state["events"].append({"type": kind, "device": device, "seq": p.seq})
        except Exception:  # noqa: BLE001 - every decoding failure is a finding, reported
            with lock:
                state["errors"].append(traceback.format_exc())

    client = spb.Client(client_id=f"spb-consumer-{os.getpid()}")

    def on_connect(_client):
        with lock:
            state["connected"] = True

    # What an edge node publishes, not the commands (a host does not read its own; pysparkplug's
    # paho thread also dies on a command payload it cannot decode, such as the garbage below).
    for kind in ("NBIRTH", "NDATA", "NDEATH"):
        topic = spb.Topic(group_id=args.group, message_type=spb.MessageType(kind), edge_node_id=args.edge)
        client.subscribe(topic, spb.QoS.AT_LEAST_ONCE, on_message)
    for kind in ("DBIRTH", "DDATA", "DDEATH"):
        topic = spb.Topic(group_id=args.group, message_type=spb.MessageType(kind), edge_node_id=args.edge,
                          device_id=spb.SINGLE_LEVEL_WILDCARD)
        client.subscribe(topic, spb.QoS.AT_LEAST_ONCE, on_message)
    client.connect("127.0.0.1", port=args.port, blocking=False, callback=on_connect)

    def writer():
        while True:
            with lock:
                text = json.dumps(state)
            tmp = args.out + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, args.out)
            time.sleep(0.1)

    threading.Thread(target=writer, daemon=True).start()

    ncmd = spb.Topic(group_id=args.group, message_type=spb.MessageType.NCMD, edge_node_id=args.edge)
    now = spb.get_current_timestamp
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "rebirth":
            metric = spb.Metric(timestamp=now(), name="Node Control/Rebirth", datatype=spb.DataType.BOOLEAN,
                                value=True)
            client.publish(spb.Message(ncmd, spb.NCmd(now(), (metric,)), spb.QoS.AT_MOST_ONCE, False),
                           include_dtypes=True)
        elif words[0] == "ncmd":
            metric = spb.Metric(timestamp=now(), name=" ".join(words[1:]), datatype=spb.DataType.BOOLEAN, value=True)
            client.publish(spb.Message(ncmd, spb.NCmd(now(), (metric,)), spb.QoS.AT_MOST_ONCE, False),
                           include_dtypes=True)
        elif words[0] == "dcmd":
            topic = spb.Topic(group_id=args.group, message_type=spb.MessageType.DCMD, edge_node_id=args.edge,
                              device_id=words[1])
            name = " ".join(words[3:])
            metric = spb.Metric(timestamp=now(), name=name, datatype=spb.DataType.UINT16, value=int(words[2]))
            client.publish(spb.Message(topic, spb.DCmd(now(), (metric,)), spb.QoS.AT_MOST_ONCE, False),
                           include_dtypes=True)
        elif words[0] == "garbage":
            raw = paho_mqtt.Client(client_id=f"spb-garbage-{os.getpid()}")
            raw.connect("127.0.0.1", args.port)
            raw.loop_start()
            raw.publish(str(ncmd), b"garbage1", qos=1).wait_for_publish(5)
            raw.disconnect()
            raw.loop_stop()


if __name__ == "__main__":
    main()
