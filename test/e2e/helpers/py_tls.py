# SPDX-License-Identifier: Apache-2.0
"""A TLS client or server written with Python's ssl module only, standing for
an unmodified Python agent: the key is a plain file given to load_cert_chain()
(a key-reference PEM reaches the card through OPENSSL_CONF).

  py_tls.py client PORT CA CERT KEY [1.2|1.3]
      connect to 127.0.0.1:PORT, verify the server against CA, send a line,
      print "version V", "peer CN" and the echoed line
  py_tls.py server PORT CA CERT KEY COUNT
      require a client certificate from CA, serve COUNT connections: print
      "client CN version V" for each and echo one line back; "listening" once
      the socket is bound
"""
import socket
import ssl
import sys


def cn_of(cert):
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return "?"


def client(port, ca, cert, key, version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    if version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif version == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("127.0.0.1", int(port)), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            print("version", tls.version())
            print("peer", cn_of(tls.getpeercert()))
            tls.sendall(b"hello from python\n")
            print("echo", tls.recv(100).decode().strip())


def server(port, ca, cert, key, count):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(port)))
        s.listen(4)
        print("listening", flush=True)
        for _ in range(int(count)):
            conn, _addr = s.accept()
            conn.settimeout(20)
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    print("client", cn_of(tls.getpeercert()), "version", tls.version(), flush=True)
                    tls.sendall(tls.recv(100))
            except (ssl.SSLError, OSError) as e:
                print("handshake failed:", e, flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "client":
        client(*sys.argv[2:])
    elif len(sys.argv) == 7 and sys.argv[1] == "server":
        server(*sys.argv[2:])
    else:
        sys.exit(__doc__)
