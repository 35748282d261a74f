// Package doclinks holds no code of the binary: its tests check that the
// repository's Markdown (README.md, CONTRIBUTING.md, docs/*.md) links only to
// files and headings that exist, and that README.md links every page, so a
// moved or renamed section breaks a test instead of a reader's click.
package doclinks
