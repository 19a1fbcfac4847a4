"""Several Sluice processes as one system on loopback, for the multi-node tests and benchmarks:
a PostgreSQL cluster in a temporary directory (initdb/pg_ctl, run as the `postgres` user when we
are root, because initdb refuses root), a Redis, serving nodes and workers sharing both.

    with Cluster(sluice_binary) as cluster:
        a, b = cluster.serve(), cluster.serve()
        cluster.worker()
        ...
"""

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (scripts/setup installs postgresql-15)")
    return found[-1]


def call(base, method, path, body=None, expect=200, raw=None, headers=None, timeout=60):
    """One JSON request; asserts the status and returns the parsed body."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text, got = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as e:
        status, text, got = e.code, e.read(), dict(e.headers)
    if expect is not None:
        assert status == expect, "%s %s: HTTP %d %s" % (method, path, status, text[:400])
    parsed = json.loads(text) if text else None
    return (status, parsed, got) if expect is None else parsed


def wait_for(what, condition, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Postgres:
    """A throwaway PostgreSQL cluster: trust authentication on loopback, fsync off (a test's data
    need not survive a power cut; everything else is the real server)."""

    def __init__(self, root):
        self.dir = os.path.join(root, "postgres")
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("postgres")
        os.makedirs(self.dir)
        if self.user:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
            os.chmod(root, 0o755)
        self._run([postgres_bin("initdb"), "-D", self.dir + "/data", "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C"])
        with open(self.dir + "/data/postgresql.conf", "a") as conf:
            conf.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
                       % (self.port, self.dir))
        self.start()

    @property
    def url(self):
        return "postgresql://postgres@127.0.0.1:%d/postgres" % self.port

    def _run(self, args):
        if self.user:
            args = ["runuser", "-u", "postgres", "--"] + args
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self):
        self._run([postgres_bin("pg_ctl"), "-D", self.dir + "/data", "-l", self.dir + "/log", "-w", "start"])

    def stop(self, mode="fast"):
        self._run([postgres_bin("pg_ctl"), "-D", self.dir + "/data", "-m", mode, "-w", "stop"])


class Process:
    def __init__(self, args, env, log_path, ready_pattern):
        self.args = args
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = ""
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if ready_pattern in line:
                self.first_line = line.strip()
                return
        raise RuntimeError("%s did not start: %s\n%s" % (args[:2], line, self.tail()))

    def tail(self):
        self.log.flush()
        with open(self.log_path) as log:
            return log.read()[-3000:]

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def stop(self):
        self.kill(signal.SIGTERM)


class Cluster:
    def __init__(self, binary, api_keys=None):
        self.binary = binary
        self.root = tempfile.mkdtemp(prefix="sluice-cluster-")
        self.api_keys = api_keys
        self.processes = []
        self.postgres = None
        self.redis = None

    def __enter__(self):
        self.postgres = Postgres(self.root)
        self.redis_port = free_port()
        self.redis = subprocess.Popen(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--dir", self.root],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("redis", self._redis_answers, 20)
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.kill()
        if self.redis:
            self.redis.kill()
            self.redis.wait()
        if self.postgres:
            try:
                self.postgres.stop("immediate")
            except subprocess.CalledProcessError:
                pass
        if exc[0] is None:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            print("cluster left in", self.root)

    def _redis_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def redis_url(self):
        return "redis://127.0.0.1:%d" % self.redis_port

    def _env(self):
        env = dict(os.environ)
        if self.api_keys:
            env["SLUICE_API_KEYS"] = ",".join(self.api_keys)
        return env

    def _data_dir(self, name):
        path = os.path.join(self.root, name)
        os.makedirs(path, exist_ok=True)
        return path

    def serve(self, *flags, name=None, workers=0, database_url=None):
        """A serving node; returns its base URL (the process is in self.processes[-1])."""
        name = name or "serve-%d" % len(self.processes)
        args = [self.binary, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", self._data_dir(name),
                "--redis-url", self.redis_url, "--database-url", database_url or self.postgres.url,
                "--job-workers", str(workers), *flags]
        process = Process(args, self._env(), os.path.join(self.root, name + ".log"), "sluice listening on")
        self.processes.append(process)
        return process.first_line.split()[-1]

    def worker(self, *flags, name=None, workers=2):
        name = name or "worker-%d" % len(self.processes)
        args = [self.binary, "worker", "--data-dir", self._data_dir(name), "--redis-url", self.redis_url,
                "--database-url", self.postgres.url, "--job-workers", str(workers), *flags]
        process = Process(args, self._env(), os.path.join(self.root, name + ".log"), "sluice worker running")
        self.processes.append(process)
        return process


class Partition:
    """A TCP relay in front of PostgreSQL for one node: cut() drops every relayed connection and
    refuses new ones (a network partition, as the node sees it), heal() lets them through again.

        partition = Partition(cluster.postgres.port)
        c = cluster.serve(database_url=partition.url)
    """

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_cut = False
        self.lock = threading.Lock()
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return "postgresql://postgres@127.0.0.1:%d/postgres" % self.port

    def cut(self):
        with self.lock:
            self.is_cut = True
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets = []

    def heal(self):
        with self.lock:
            self.is_cut = False

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            with self.lock:
                if self.is_cut:
                    client.close()
                    continue
                try:
                    server = socket.create_connection(("127.0.0.1", self.target_port))
                except OSError:
                    client.close()
                    continue
                self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    @staticmethod
    def _relay(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
