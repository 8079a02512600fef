/** A round upper bound for the axis: 1, 2, 5, 10, 20, 50… at or above the largest count. */
export function axisMax(largest: number): number {
  let step = 1;
  for (;;) {
    for (const m of [1, 2, 5]) if (m * step >= largest) return m * step;
    step *= 10;
  }
}
