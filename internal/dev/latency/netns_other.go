//go:build !linux || !(amd64 || arm64)

package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"syscall"
)

// The benchmark needs Linux network namespaces and TUN devices.

type network struct{ line *Line }

func supported() string { return "it needs Linux (amd64 or arm64): network namespaces and TUN devices" }

func newNetwork([]Endpoint) (*network, error)        { return nil, errors.New(supported()) }
func (*network) Close()                              {}
func (*network) Listen(string) (net.Listener, error) { return nil, errors.New(supported()) }
func (*network) Start(*exec.Cmd) error               { return errors.New(supported()) }
func namespaceIDs() (string, error)                  { return "", errors.New(supported()) }
func launchAttrs() *syscall.SysProcAttr              { return nil }
func killGroup(p *os.Process) error                  { return p.Kill() }
func launch(_, _, _ string, _, _ []string) error     { return errors.New(supported()) }

func boost() (int, error) { return 0, nil }
func unboost(int) error   { return nil }
