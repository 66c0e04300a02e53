# clawweb's web app, workers and one-shot commands (deploy/build-images.sh).
# Built with --network none: the wheels and the built frontend come in the context.
FROM clawweb-deploy-base:bookworm
COPY wheels /opt/clawweb/wheels
COPY requirements.txt /opt/clawweb/requirements.txt
RUN python3 -m venv /opt/clawweb/venv \
 && /opt/clawweb/venv/bin/pip install -q --no-index --no-cache-dir --disable-pip-version-check \
      --find-links /opt/clawweb/wheels -r /opt/clawweb/requirements.txt \
 && rm -rf /opt/clawweb/wheels
COPY app /opt/clawweb/app
RUN chmod 0755 /opt/clawweb/app/deploy/entrypoint.sh
ENV PATH=/opt/clawweb/venv/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 PYTHONUNBUFFERED=1 \
    REFLEX_USE_SYSTEM_BUN=1 DISABLE_TELEMETRY=1 \
    CLAWWEB_HOST=0.0.0.0 CLAWWEB_PORT=3000
WORKDIR /opt/clawweb/app
ENTRYPOINT ["/opt/clawweb/app/deploy/entrypoint.sh"]
CMD ["web"]
