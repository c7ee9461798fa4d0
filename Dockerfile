# One image with both programs: the tcp-echo server (entrypoint, as in Istio's image) and the prober.
# Builds with Docker's classic builder as well as BuildKit (no RUN --mount, no heredocs).
#   docker build -t tcp-echo .
#   docker run -p 9000:9000 tcp-echo 9000 one
#   docker run --rm --entrypoint prober tcp-echo --expect 80:20 $INGRESS_HOST:$INGRESS_PORT
ARG BASE_IMAGE=node:20.20.2-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json index.ts ./
COPY common ./common
COPY server ./server
COPY prober ./prober
COPY splitter ./splitter
COPY demo ./demo
COPY scripts/bundle.mjs ./scripts/
RUN npm run build && node scripts/bundle.mjs

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="tcp-echo" \
      org.opencontainers.image.description="Drop-in for Istio's tcp-echo sample server, plus the prober that verifies weighted TCP splits" \
      org.opencontainers.image.source="https://github.com/tcp-echo/tcp-echo" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Only the bundled programs: one file each, their dependencies inside.
COPY --from=build /src/bundle/ /opt/tcp-echo/
ENV PATH=/opt/tcp-echo/bin:$PATH \
    NODE_ENV=production
USER 10001:10001
EXPOSE 9000
ENTRYPOINT ["tcp-echo"]
CMD ["9000", "hello"]
