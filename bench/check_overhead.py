#!/usr/bin/env python3
"""What `check` costs beside the network: a whole `oidc-doctor check` against an HTTPS
issuer on loopback, next to two plain `curl` fetches of the same two documents (the
discovery document and the JWKS), which is the least any diagnosis must do.

    cargo build --release
    python3 bench/check_overhead.py --runs 50

The issuer is Python's own HTTPS server on 127.0.0.1 with a certificate made for the run
by `openssl`; nothing leaves the machine. `check` runs with the claims on the command line,
the policy from a bundled fixture and `--no-aws`, so the difference to curl is the
token/policy work plus the TLS-chain analysis and the timing probes.
"""

import argparse
import http.server
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def serve(directory, port_holder, certfile, keyfile):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            issuer = f"https://localhost:{port_holder[0]}"
            if self.path == "/.well-known/openid-configuration":
                body = json.dumps({
                    "issuer": issuer,
                    "jwks_uri": f"{issuer}/oauth/discovery/keys",
                    "response_types_supported": ["id_token"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }).encode()
            elif self.path == "/oauth/discovery/keys":
                body = json.dumps({"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                                             "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
                                             "e": "AQAB"}]}).encode()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "max-age=86400")
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    port_holder[0] = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--binary", default="target/release/oidc-doctor")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: run `cargo build --release` first")
    with tempfile.TemporaryDirectory(prefix="oidc-doctor-overhead-") as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        port = [0]
        serve(tmp, port, cert, key)
        issuer = f"https://localhost:{port[0]}"
        curl = ["sh", "-c",
                f"curl -sf --cacert {cert} {issuer}/.well-known/openid-configuration >/dev/null && "
                f"curl -sf --cacert {cert} {issuer}/oauth/discovery/keys >/dev/null"]
        check = [binary, "check", "--no-aws",
                 "--policy", "fixtures/policies/gitlab-main-only.json",
                 "--claim", f"iss={issuer}",
                 "--claim", "sub=project_path:mygroup/app:ref_type:branch:ref:main",
                 "--claim", "aud=https://gitlab.com",
                 "--ca-file", cert, "--format", "json"]
        probe = [binary, "probe", issuer, "--ca-file", cert, "--format", "json"]
        # The check really fetched both documents.
        out = json.loads(subprocess.run(check, capture_output=True, text=True).stdout)
        assert out["endpoints"]["jwks"]["status"] == 200, out["endpoints"]
        rows = [
            ("two curl fetches (discovery + JWKS)", *timed(curl, args.runs)),
            ("oidc-doctor probe", *timed(probe, args.runs)),
            ("oidc-doctor check (claims, --policy, --no-aws)", *timed(check, args.runs)),
        ]
        print(f"{'command':<50}{'median ms':>12}{'best ms':>10}")
        for name, med, best in rows:
            print(f"{name:<50}{med:>12.1f}{best:>10.1f}")


if __name__ == "__main__":
    main()
