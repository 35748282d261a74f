# syntax=docker/dockerfile:1
# The action's image: a static Go binary and CA certificates on scratch.
#
# BUILDER_IMAGE is pinned by digest; override it to build offline or with a
# mirror:  docker build --build-arg BUILDER_IMAGE=local/go-builder .
ARG BUILDER_IMAGE=golang:1.26-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d
# BuildKit sets BUILDPLATFORM itself; the default serves the classic builder.
ARG BUILDPLATFORM=linux/amd64

# The builder runs natively and cross-compiles for TARGETOS/TARGETARCH, so a
# multi-arch build (linux/amd64, linux/arm64) needs no emulation.
FROM --platform=${BUILDPLATFORM} ${BUILDER_IMAGE} AS build
ARG TARGETOS=linux
ARG TARGETARCH=amd64
ARG VERSION=dev
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-mod=readonly
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY internal/ internal/
RUN GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags "-s -w -X github.com/org/aws-oidc-go/internal/version.Version=${VERSION}" \
      -o /out/root/aws-oidc-go . \
 && ln -s aws-oidc-go /out/root/aws-oidc-go-post \
 && mkdir -p /out/root/etc/ssl/certs \
 && cp /etc/ssl/certs/ca-certificates.crt /out/root/etc/ssl/certs/public-roots.pem

# The public roots live in /etc/ssl/certs under a name that is none of the
# bundle files Go looks for (ca-certificates.crt and others): Go finds no
# bundle file, scans the directory, and parses each root once (as
# ca-certificates.crt they were parsed twice, as the file and again in the
# scan). A user's SSL_CERT_FILE is read as the bundle file, and the
# directory scan still adds the public roots to it.

# No USER: GitHub runs container actions as root, and the file-command files
# it mounts belong to the runner's user. /aws-oidc-go-post is a symlink to
# the binary; action.yml's post-entrypoint runs it, and the binary reads its
# own name to run the post step (runs.args would reach both steps alike).
FROM scratch
COPY --from=build /out/root/ /
ENTRYPOINT ["/aws-oidc-go"]
