package config

import (
	"bufio"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
)

// NthAddress returns the n-th address of network (n=1 is the first after
// the network address), as used for the kubernetes and DNS service IPs.
func NthAddress(network *net.IPNet, n int64) (net.IP, error) {
	base := big.NewInt(0).SetBytes(network.IP)
	ip := base.Add(base, big.NewInt(n)).Bytes()
	size := len(network.IP)
	if len(ip) > size {
		return nil, fmt.Errorf("address %d is outside the network", n)
	}
	out := make(net.IP, size)
	copy(out[size-len(ip):], ip)
	if !network.Contains(out) {
		return nil, fmt.Errorf("network is too small for address %d", n)
	}
	return out, nil
}

// DefaultRouteIP is the first IPv4 address of the interface that holds the
// IPv4 default route, as K3s picks the node and advertise address.
func DefaultRouteIP() (net.IP, error) {
	iface, err := defaultRouteInterface()
	if err != nil {
		return nil, err
	}
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("default route interface %s: %w", iface, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, fmt.Errorf("addresses of %s: %w", iface, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.To4(), nil
		}
	}
	return nil, fmt.Errorf("interface %s of the default route has no IPv4 address", iface)
}

func defaultRouteInterface() (string, error) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return "", fmt.Errorf("read routes: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 2 && fields[1] == "00000000" && fields[0] != "Iface" {
			return fields[0], nil
		}
	}
	return "", errors.New("this host has no IPv4 default route")
}
