// Package atomicfile writes files so that a reader (or a restart after a
// kill -9) sees either the old content or the new one, never a torn file:
// write to a temporary file in the same directory, fsync, rename, fsync the
// directory.
package atomicfile
