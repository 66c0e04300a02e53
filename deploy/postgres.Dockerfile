# PostgreSQL 15 for clawweb (deploy/build-images.sh).
FROM clawweb-deploy-base:bookworm
COPY postgres-start.sh /usr/local/bin/clawweb-postgres-start
RUN chmod 0755 /usr/local/bin/clawweb-postgres-start \
 && mkdir -p /var/lib/clawweb-postgres && chown postgres:postgres /var/lib/clawweb-postgres \
 && chmod 0700 /var/lib/clawweb-postgres
USER postgres
ENV PGDATA=/var/lib/clawweb-postgres/data PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin
VOLUME /var/lib/clawweb-postgres
ENTRYPOINT ["/usr/local/bin/clawweb-postgres-start"]
