// Package customresource holds what shoal's controllers of their own
// custom resources (Plan, OSImage, GitRepo) share: listing them as typed
// values and writing a computed status only when it changed.
package customresource
