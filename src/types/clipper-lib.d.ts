// The part of clipper-lib (Clipper 6, integer polygon clipping; the package ships no types) that untangle.ts uses.
declare module 'clipper-lib' {
  interface IntPoint {
    X: number;
    Y: number;
  }
  type Path = IntPoint[];
  export class PolyNode {
    Contour(): Path;
    Childs(): PolyNode[];
    IsHole(): boolean;
  }
  export class PolyTree extends PolyNode {}
  export class Clipper {
    constructor(initOptions?: number);
    StrictlySimple: boolean;
    PreserveCollinear: boolean;
    AddPath(path: Path, polyType: number, closed: boolean): boolean;
    Execute(clipType: number, solution: PolyTree, subjFillType: number, clipFillType: number): boolean;
  }
  const ClipperLib: {
    Clipper: typeof Clipper;
    PolyTree: typeof PolyTree;
    PolyType: { ptSubject: number; ptClip: number };
    ClipType: { ctIntersection: number; ctUnion: number; ctDifference: number; ctXor: number };
    PolyFillType: { pftEvenOdd: number; pftNonZero: number; pftPositive: number; pftNegative: number };
  };
  export default ClipperLib;
}
