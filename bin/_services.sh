# Sourced by bin/test: start the local services the tests talk to, when they are down
# (PostgreSQL 5432, Redis 6379, RabbitMQ 5672), with the commands this machine kind documents.

_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- 3<&-; }

_wait_port() { # port name seconds
  for _ in $(seq 1 "$3"); do _port_open "$1" && return 0; sleep 1; done
  echo "error: $2 did not come up on 127.0.0.1:$1" >&2
  return 1
}

ensure_services() {
  if ! _port_open 5432; then
    echo "== starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    _wait_port 5432 PostgreSQL 60
  fi
  if ! _port_open 6379; then
    echo "== starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    _wait_port 6379 Redis 30
  fi
  if ! _port_open 5672; then
    echo "== starting RabbitMQ"
    rabbitmq-server -detached
    _wait_port 5672 RabbitMQ 120
  fi
}
