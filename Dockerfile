# The service image: one image, two roles (`worker`, `api`), chosen by the command.
FROM node:20-bookworm-slim

WORKDIR /app
# Full `npm ci` (dev dependencies included): the service runs its TypeScript through tsx, and the
# lockfile, not this file, decides what is installed.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY . .
# DATA_DIR (outbox, dev secrets) on a volume, writable by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
ENV DATA_DIR=/data
USER node

EXPOSE 3000
ENTRYPOINT ["npx", "tsx", "src/main.ts"]
CMD ["api"]
