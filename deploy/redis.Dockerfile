# Redis for clawweb (deploy/build-images.sh): AOF on, no eviction, a password.
FROM clawweb-deploy-base:bookworm
COPY redis-start.sh /usr/local/bin/clawweb-redis-start
RUN chmod 0755 /usr/local/bin/clawweb-redis-start \
 && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
VOLUME /data
ENTRYPOINT ["/usr/local/bin/clawweb-redis-start"]
