# stagebot: Node 24 runs the TypeScript sources directly, so there is no build step;
# the first stage only installs production dependencies.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production PORT=3000
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
ENTRYPOINT ["node", "src/main.ts"]
CMD ["serve"]
