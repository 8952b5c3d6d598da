#!/usr/bin/env python3
"""Writes the example token and key set that docs/getting-started.md runs against.

A GitLab-shaped ID token for a pipeline on branch `feature` of `mygroup/app`, signed
RS256 with a key made here and thrown away; only the public JWKS is kept, so the
token can be verified (`check --jwks-file`) but never forged from the repository.
The claims are pinned to 2026-11-28 so the docs pass `--now 2026-11-28T10:05:00Z`.
Needs the `cryptography` package; the test suite never runs this script.
"""
import base64, json, os, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "getting-started")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    kid = "getting-started"
    jwks = {"keys": [{
        "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
        "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64(numbers.e.to_bytes(3, "big")),
    }]}
    issued = 1795860000  # 2026-11-28T10:00:00Z
    claims = {
        "namespace_id": "4242", "namespace_path": "mygroup",
        "project_id": "31337", "project_path": "mygroup/app",
        "user_id": "1001", "user_login": "alice", "user_email": "alice@example.com",
        "pipeline_id": "987654", "pipeline_source": "push",
        "job_id": "1234567", "ref": "feature", "ref_type": "branch", "ref_path": "refs/heads/feature",
        "ref_protected": "false", "runner_id": 1, "runner_environment": "gitlab-hosted",
        "sha": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
        "project_visibility": "private", "ci_config_ref_uri": "gitlab.com/mygroup/app//.gitlab-ci.yml@refs/heads/feature",
        "ci_config_sha": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
        "jti": "6a0c5d8e-0000-4000-8000-000000000001",
        "iss": "https://gitlab.com", "iat": issued, "nbf": issued - 5, "exp": issued + 3600,
        "sub": "project_path:mygroup/app:ref_type:branch:ref:feature",
        "aud": "https://gitlab.com",
    }
    header = {"kid": kid, "typ": "JWT", "alg": "RS256"}
    signing_input = f"{b64(json.dumps(header, separators=(',', ':')).encode())}.{b64(json.dumps(claims, separators=(',', ':')).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "feature-branch.jwt"), "w") as f:
        f.write(f"{signing_input}.{b64(signature)}\n")
    with open(os.path.join(OUT, "jwks.json"), "w") as f:
        json.dump(jwks, f, indent=2)
        f.write("\n")
    print(f"wrote {OUT}/feature-branch.jwt and jwks.json", file=sys.stderr)


if __name__ == "__main__":
    main()
