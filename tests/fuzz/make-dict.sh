#!/bin/bash
# Write the fuzz dictionary (tests/fuzz/model.dict) from what the binary
# knows: every group and scenario key (cnisim help keys), every [costs] name
# (cnisim help costs), and the words of the enumerated keys.
#   tests/fuzz/make-dict.sh build/app/cnisim >tests/fuzz/model.dict
set -eu
cnisim=$1
echo "# libFuzzer dictionary for fuzz-model (and fuzz-loader): every group, scenario key,"
echo "# [costs] name and word of cnisim.  Regenerate: tests/fuzz/make-dict.sh build/app/cnisim"
"$cnisim" help keys | awk '/^\[/ {print "\"" $1 "\""} /^  [a-z]/ && $1 != "any" {print "\"" $1 " = \""}'
"$cnisim" help costs | awk 'NR>1 && /^[a-z]/ {print "\"" $1 " = \""}'
for w in closed open pod-to-service pod-to-external pod-to-pod-same-node pod-to-pod-cross-node \
    external-to-service kubenet azure-cni azure-cni-overlay azure-cni-dynamic cilium \
    cilium-podsubnet +azure-npm +calico /ebpf /iptables /ipvs /nftables full partial \
    default none monitoring azure-policy istio \
    10.0.0.0/16 10.224.0.0/12 /24 1e9 1e-12 0.5 ", " ":" "%" "#"; do
    echo "\"$w\""
done
