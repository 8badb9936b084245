# syntax=docker/dockerfile:1
# tollgate's container image: a static binary on a minimal base with CA
# certificates, running as a non-root user. The build stage calls the Makefile,
# so the image holds exactly what `make build` (and the tests) built.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG COMMIT=unknown
# Reproducible: -trimpath, no VCS stamping, fixed version strings, static (CGO off).
RUN make build VERSION=${VERSION} COMMIT=${COMMIT} && ./bin/tollgate version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/tollgate /usr/local/bin/tollgate
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/tollgate"]
