#!/usr/bin/python3
"""Another PC/SC client on the kiosk, for the security tests: it shares the reader with jpkid.

Modes (all talk to the first reader, "Virtual PCD 00 00"):
  attack   wait for the card, then SELECT EF 0017 and COMPUTE DIGITAL SIGNATURE without a PIN and
           without selecting the DF; repeat until --stop-file exists and --min-tries are done.
  leak     verify the auth PIN and hand the card back as it is (SCARD_LEAVE_CARD): what jpkid
           must never do; the control for `attack`.
  hold     hold the card in a transaction until --release-file exists.
  reset    reset the card (a transaction ended with SCARD_RESET_CARD).
  pinless  take the card once and try, as an attacker would (selecting each application first),
           everything a verified PIN opens: COMPUTE DIGITAL SIGNATURE with the auth and the sign key,
           READ BINARY of the sign certificate, the card-text files and the card-face file. Counts
           the 90 00 answers ("pinless"): each is something done without a PIN. --first-aid: the
           application to try first (selecting another one clears its PINs).
  spend    once --trigger-file exists, wait for the card and send one VERIFY with --pin to the
           PIN EF --fid of the application --aid.
Prints one JSON line with what happened. Uses Debian's python3-pyscard (run /usr/bin/python3).
"""
import argparse
import json
import os
import sys
import time

from smartcard.scard import (SCARD_LEAVE_CARD, SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1,
                             SCARD_RESET_CARD, SCARD_S_SUCCESS, SCARD_SCOPE_USER,
                             SCARD_SHARE_SHARED, SCARD_W_RESET_CARD, SCardBeginTransaction,
                             SCardConnect, SCardDisconnect, SCardEndTransaction,
                             SCardEstablishContext, SCardGetErrorMessage, SCardListReaders,
                             SCardReconnect, SCardTransmit)

PROTOCOLS = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1
JPKI_AID = bytes.fromhex("D392F000260100000001")
# DigestInfo for SHA-256 over 32 zero bytes' worth of nothing: the value does not matter.
DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420") + bytes(32)
DEADLINE = 120  # seconds: every loop here is bounded


def check(result, what):
    if result != SCARD_S_SUCCESS:
        raise SystemExit(f"pcsc_client: {what}: {SCardGetErrorMessage(result)}")


class Card:
    def __init__(self):
        result, self.context = SCardEstablishContext(SCARD_SCOPE_USER)
        check(result, "SCardEstablishContext")
        result, readers = SCardListReaders(self.context, [])
        check(result, "SCardListReaders")
        reader = next(r for r in readers if r.endswith("00 00"))
        result, self.handle, self.protocol = SCardConnect(self.context, reader, SCARD_SHARE_SHARED, PROTOCOLS)
        check(result, "SCardConnect")

    def begin(self):
        """SCardBeginTransaction; a reset since our last call is normal: reconnect and go on."""
        for _ in range(3):
            result = SCardBeginTransaction(self.handle)
            if result == SCARD_W_RESET_CARD:
                result, self.protocol = SCardReconnect(self.handle, SCARD_SHARE_SHARED, PROTOCOLS, SCARD_LEAVE_CARD)
                check(result, "SCardReconnect")
                continue
            check(result, "SCardBeginTransaction")
            return
        raise SystemExit("pcsc_client: the card keeps being reset")

    def end(self, disposition=SCARD_LEAVE_CARD):
        check(SCardEndTransaction(self.handle, disposition), "SCardEndTransaction")

    def send(self, apdu):
        result, response = SCardTransmit(self.handle, self.protocol, list(apdu))
        check(result, "SCardTransmit")
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]


def select_df(aid):
    return bytes([0x00, 0xA4, 0x04, 0x0C, len(aid)]) + aid


def select_ef(fid):
    return bytes([0x00, 0xA4, 0x02, 0x0C, 0x02, fid >> 8, fid & 0xFF])


def verify(pin):
    data = pin.encode("ascii")
    return bytes([0x00, 0x20, 0x00, 0x80, len(data)]) + data


def wait_for_file(path):
    deadline = time.monotonic() + DEADLINE
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit(f"pcsc_client: {path} did not appear")
        time.sleep(0.001)


def attack(args):
    card = Card()
    tries = waited = 0
    answers = {}
    deadline = time.monotonic() + DEADLINE
    while tries < args.min_tries or (args.stop_file and not os.path.exists(args.stop_file)):
        if time.monotonic() > deadline:
            break
        start = time.monotonic()
        card.begin()
        if time.monotonic() - start > 0.005:
            waited += 1
        card.send(select_ef(0x0017))
        signature = bytes([0x80, 0x2A, 0x00, 0x80, len(DIGEST_INFO)]) + DIGEST_INFO + b"\x00"
        data, sw = card.send(signature)
        card.end()
        tries += 1
        answers[f"{sw:04X}"] = answers.get(f"{sw:04X}", 0) + 1
        # Give jpkid a chance at the card: the next Begin then waits for jpkid's transaction.
        time.sleep(args.pause_ms / 1000)
        if args.progress:
            with open(args.progress + ".tmp", "w") as f:
                f.write(f"{tries} {waited}")
            os.replace(args.progress + ".tmp", args.progress)
    return {"tries": tries, "waited": waited, "answers": answers,
            "signatures": answers.get("9000", 0), "verified_failures": answers.get("6F00", 0)}


def leak(args):
    card = Card()
    card.begin()
    card.send(select_df(JPKI_AID))
    card.send(select_ef(0x0018))
    _, sw = card.send(verify(args.pin))
    card.send(select_ef(0x0017))
    card.end(SCARD_LEAVE_CARD)
    return {"verify": f"{sw:04X}"}


def hold(args):
    card = Card()
    card.begin()
    if args.ready_file:
        open(args.ready_file, "w").close()
    wait_for_file(args.release_file)
    card.end()
    return {"held": True}


def reset(_args):
    card = Card()
    card.begin()
    card.end(SCARD_RESET_CARD)
    SCardDisconnect(card.handle, SCARD_LEAVE_CARD)
    return {"reset": True}


def spend(args):
    card = Card()
    if args.ready_file:
        open(args.ready_file, "w").close()
    wait_for_file(args.trigger_file)
    start = time.monotonic()
    card.begin()
    waited_ms = round((time.monotonic() - start) * 1000)
    card.send(select_df(bytes.fromhex(args.aid)))
    card.send(select_ef(int(args.fid, 16)))
    _, sw = card.send(verify(args.pin))
    card.end(SCARD_RESET_CARD)
    return {"verify": f"{sw:04X}", "waited_ms": waited_ms}


CARD_TEXT_AID = bytes.fromhex("D3921000310001010408")
CARD_FACE_AID = bytes.fromhex("D3921000310001010402")


def pinless(args):
    card = Card()
    card.begin()
    answers = {}
    sign = bytes([0x80, 0x2A, 0x00, 0x80, len(DIGEST_INFO)]) + DIGEST_INFO + b"\x00"
    read = bytes([0x00, 0xB0, 0x00, 0x00, 0x01])
    probes = [("sign-auth-key", JPKI_AID, 0x0017, sign), ("sign-sign-key", JPKI_AID, 0x001A, sign),
              ("read-sign-certificate", JPKI_AID, 0x0001, read), ("read-my-number", CARD_TEXT_AID, 0x0001, read),
              ("read-card-text", CARD_TEXT_AID, 0x0002, read), ("read-card-face", CARD_FACE_AID, 0x0002, read)]
    # Selecting another application clears the last one's PINs on a real card: try the one the
    # victim used first (--first-aid), as an attacker who knows the kiosk would.
    first = bytes.fromhex(args.first_aid) if args.first_aid else JPKI_AID
    probes.sort(key=lambda probe: probe[1] != first)
    for name, aid, fid, command in probes:
        card.send(select_df(aid))
        card.send(select_ef(fid))
        _, sw = card.send(command)
        answers[name] = f"{sw:04X}"
    card.end()
    return {"pinless": sum(1 for sw in answers.values() if sw == "9000"), "answers": answers}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["attack", "leak", "hold", "reset", "spend", "pinless"])
    parser.add_argument("--min-tries", type=int, default=1)
    parser.add_argument("--stop-file")
    parser.add_argument("--pause-ms", type=int, default=0)
    parser.add_argument("--progress")
    parser.add_argument("--pin", default="1234")
    parser.add_argument("--ready-file")
    parser.add_argument("--release-file")
    parser.add_argument("--trigger-file")
    parser.add_argument("--aid", default=JPKI_AID.hex())
    parser.add_argument("--fid", default="0018")
    parser.add_argument("--first-aid")
    args = parser.parse_args()
    result = {"attack": attack, "leak": leak, "hold": hold, "reset": reset, "spend": spend,
              "pinless": pinless}[args.mode](args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
