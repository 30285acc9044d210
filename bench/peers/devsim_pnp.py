"""Steady 1D Poisson-Nernst-Planck benchmark cell in DEVSIM (the peer of `fluxion bench`).

Dimensionless problem (x in [0, 1], D = 1, concentrations in units of c0, potential in
thermal voltages, lam = Debye length / cell length):

    J_i = -(c_i' + z_i c_i phi'),   J_i' = 0,   i = p (z = +1), n (z = -1)
    -lam^2 phi'' = p - n
    p = n = 1, phi = 0 at x = 0;   p = n = 0.5, phi = V at x = 1

Discretization: DEVSIM's box method on a uniform mesh of NODES nodes, Scharfetter-Gummel
edge fluxes J = (1/h) [B(z dphi) c_0 - B(-z dphi) c_1] with dphi = phi_1 - phi_0 and the
Bernoulli function B(x) = x / (e^x - 1), the same scheme as fluxion's default. Newton from
linear concentrations and phi = 0, straight to V (no ramp unless --ramp).

Usage: python devsim_pnp.py NODES [--lam 0.01] [--volts 2] [--ramp 1] [--tol 1e-10]
Prints one JSON line: nodes, newton iterations, set-up/solve/total seconds (the import of
devsim is not timed), and the dimensionless flux J+ on the middle edge with its spread
over all edges (a check of flux conservation).

Set-up: bench/peers/setup.sh (DEVSIM needs DEVSIM_MATH_LIBS=libopenblas.so.0 on Debian).
"""

import argparse
import json
import sys
import time


def parse():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("nodes", type=lambda s: int(float(s)), help="number of mesh nodes, e.g. 1e5")
    a.add_argument("--lam", type=float, default=0.01, help="Debye length / cell length")
    a.add_argument("--volts", type=float, default=2.0, help="phi(1) in thermal voltages")
    a.add_argument("--ramp", type=int, default=1, help="number of potential steps to V")
    a.add_argument("--tol", type=float, default=1e-10, help="DEVSIM relative and absolute error")
    return a.parse_args()


def build(devsim, nodes, lam):
    """Mesh, device, unknowns, models and equations of the cell; returns (device, region)."""
    device, region, mesh = "cell", "electrolyte", "line"
    h = 1.0 / (nodes - 1)
    devsim.create_1d_mesh(mesh=mesh)
    devsim.add_1d_mesh_line(mesh=mesh, pos=0.0, ps=h, tag="x0")
    devsim.add_1d_mesh_line(mesh=mesh, pos=1.0, ps=h, tag="x1")
    devsim.add_1d_contact(mesh=mesh, name="left", tag="x0", material="metal")
    devsim.add_1d_contact(mesh=mesh, name="right", tag="x1", material="metal")
    devsim.add_1d_region(mesh=mesh, material="electrolyte", region=region, tag1="x0", tag2="x1")
    devsim.finalize_mesh(mesh=mesh)
    devsim.create_device(mesh=mesh, device=device)
    devsim.set_parameter(device=device, name="lam_sq", value=lam * lam)
    devsim.set_parameter(device=device, name="V_right", value=0.0)

    for u in ("phi", "p", "n"):
        devsim.node_solution(device=device, region=region, name=u)
        devsim.edge_from_node_model(device=device, region=region, node_model=u)
    x = devsim.get_node_model_values(device=device, region=region, name="x")
    linear = [1.0 - 0.5 * xi for xi in x]
    devsim.set_node_values(device=device, region=region, name="phi", values=[0.0] * len(x))
    devsim.set_node_values(device=device, region=region, name="p", values=linear)
    devsim.set_node_values(device=device, region=region, name="n", values=list(linear))

    def edge(name, expr, unknowns):
        """An edge model and its derivatives with respect to `unknowns` at both ends."""
        devsim.edge_model(device=device, region=region, name=name, equation=expr)
        for u in unknowns:
            for end in ("n0", "n1"):
                devsim.edge_model(
                    device=device,
                    region=region,
                    name=f"{name}:{u}@{end}",
                    equation=f"simplify(diff({expr}, {u}@{end}))",
                )

    def sg_flux(c, z):
        d = "(phi@n1 - phi@n0)" if z > 0 else "(phi@n0 - phi@n1)"
        return f"EdgeInverseLength * (B({d}) * {c}@n0 - B(-{d}) * {c}@n1)"

    edge("flux_p", sg_flux("p", +1), ("p", "phi"))
    edge("flux_n", sg_flux("n", -1), ("n", "phi"))
    # Poisson in DEVSIM's form: edge flux lam^2 (phi_0 - phi_1)/h plus node term -(p - n).
    edge("displacement", "lam_sq * (phi@n0 - phi@n1) * EdgeInverseLength", ("phi",))
    for name, expr in (("minus_rho", "-(p - n)"), ("minus_rho:p", "-1"), ("minus_rho:n", "1")):
        devsim.node_model(device=device, region=region, name=name, equation=expr)

    devsim.equation(device=device, region=region, name="poisson", variable_name="phi",
                    node_model="minus_rho", edge_model="displacement", variable_update="default")
    devsim.equation(device=device, region=region, name="cont_p", variable_name="p",
                    edge_model="flux_p", variable_update="positive")
    devsim.equation(device=device, region=region, name="cont_n", variable_name="n",
                    edge_model="flux_n", variable_update="positive")

    values = {"left": {"phi": "0", "p": "1", "n": "1"},
              "right": {"phi": "V_right", "p": "0.5", "n": "0.5"}}
    equation_of = {"phi": "poisson", "p": "cont_p", "n": "cont_n"}
    for contact, fixed in values.items():
        for u, v in fixed.items():
            model = f"{contact}_{u}_fixed"
            devsim.contact_node_model(device=device, contact=contact, name=model,
                                      equation=f"{u} - {v}")
            devsim.contact_node_model(device=device, contact=contact, name=f"{model}:{u}",
                                      equation="1")
            devsim.contact_equation(device=device, contact=contact, name=equation_of[u],
                                    node_model=model)
    return device, region


def main():
    args = parse()
    import devsim  # not timed

    t0 = time.perf_counter()
    device, region = build(devsim, args.nodes, args.lam)
    t1 = time.perf_counter()
    iterations = 0
    for k in range(1, args.ramp + 1):
        devsim.set_parameter(device=device, name="V_right", value=args.volts * k / args.ramp)
        try:
            r = devsim.solve(type="dc", absolute_error=args.tol, relative_error=args.tol,
                             maximum_iterations=60, info=True)
        except devsim.error as e:
            print(json.dumps({"tool": "devsim", "nodes": args.nodes, "converged": False,
                              "error": str(e)}))
            return 1
        if isinstance(r, dict):
            iterations += len(r.get("iterations", []))
            if not r.get("converged", True):
                print(json.dumps({"tool": "devsim", "nodes": args.nodes, "converged": False}))
                return 1
    t2 = time.perf_counter()
    jp = devsim.get_edge_model_values(device=device, region=region, name="flux_p")
    print(json.dumps({
        "tool": "devsim",
        "nodes": args.nodes,
        "converged": True,
        "newton_iterations": iterations,
        "setup_s": t1 - t0,
        "solve_s": t2 - t1,
        "total_s": t2 - t0,
        "j_plus": jp[len(jp) // 2],
        "j_plus_spread": max(jp) - min(jp),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
