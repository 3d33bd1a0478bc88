# stagebot: Node 24 runs the TypeScript sources directly, so there is no build step;
# the first stage only installs production dependencies.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
# stagebot listens on 127.0.0.1 unless told otherwise; in a container it must listen on every interface.
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json stagebot.example.yml app.yml slack-app-manifest.json ./
COPY bin ./bin
COPY src ./src
# The embedded SQLite store lives in /app/data; mount a volume there (or set DATABASE_URL).
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# On SIGTERM stagebot stops taking work, gives HTTP requests 2 s and runs in flight 6 s (inside
# `docker stop`'s default 10 s), then hands them over. A teardown under way finishes first: give it
# time with `docker run --stop-timeout 300` (compose: stop_grace_period: 5m), or it is killed and
# redone by the next replica after runs.leaseTtl.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "src/main.ts"]
CMD ["serve"]
