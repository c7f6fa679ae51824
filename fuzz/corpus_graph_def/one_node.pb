


cConst